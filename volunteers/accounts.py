"""Accounts (django-allauth) in the person's language: the site speaks their remembered language
once they sign in, a new account starts with the language of the page it was made on, and
allauth's emails know which pledge day they are about."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from events import selectors as event_selectors
from volunteers.models import User


def language_cookie_set(response: HttpResponse, language: str) -> None:
    """The cookie LocaleMiddleware reads, set as Django's set_language view sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A new account speaks the language of the page it was made on."""
        user = super().save_user(request, user, form, commit=False)
        page_language = translation.get_language() or settings.LANGUAGE_CODE
        if page_language in User.Language.values:
            user.preferred_language = page_language
        if commit:
            user.save()
        return user

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        """Signed in: the pages (from the "signed in" message on) speak the person's language.

        A language the person chose (the header's switch, the profile) always wins, English
        included. One they never chose (English by default, or the sign-up page's) switches only
        away from English: a Spanish phone stays Spanish for an account that never said."""
        language = getattr(user, "preferred_language", "")
        chosen = getattr(user, "language_chosen", False)
        if language not in User.Language.values or (
            language == settings.LANGUAGE_CODE and not chosen
        ):
            return super().post_login(request, user, **kwargs)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = super().post_login(request, user, **kwargs)
        language_cookie_set(response, language)
        return response

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Our templates (templates/account/email/) name the pledge day coming up, if any, and
        the site's address; not the request's host, which allauth would call the site's name
        (no Sites framework here: allauth's `current_site` is a RequestSite)."""
        request = allauth_context.request
        site_url = request.build_absolute_uri("/") if request else settings.SITE_URL + "/"
        pledge_day = event_selectors.events_current_and_upcoming(now=timezone.now()).first()
        context = {"pledge_day": pledge_day, "site_url": site_url, **context}
        # To an account that chose a language, in it (as every other email of ours); else in
        # the page's language (English, the default, may be no choice: see post_login).
        language = getattr(context.get("user"), "preferred_language", "")
        if language == settings.LANGUAGE_CODE or language not in User.Language.values:
            language = translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
