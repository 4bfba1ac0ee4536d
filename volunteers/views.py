"""Volunteer pages: profile, the shift list, signing up and cancelling, my shifts, calendars."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events import selectors as event_selectors
from events.models import Event, Shift
from notices import preferences
from notices.models import Subscription
from volunteers import calendars, language, selectors, services
from volunteers.auth import signed_in_user
from volunteers.forms import GUARDIAN_FIELDS, PoolForm, ProfileForm
from volunteers.models import ACTIVE_SIGNUP_STATUSES, AgeBand, PoolEntry, Profile, Signup


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _profile_first(request: HttpRequest) -> HttpResponse:
    """Send a volunteer without a profile to fill it in, then back here."""
    messages.info(request, _("First, a few details so organizers can keep you safe."))
    return redirect(f"{reverse('volunteers:profile')}?next={request.path}")


def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language switch: Django's set_language (a cookie for this browser), and for a
    signed-in person their account's language too, so the site speaks it when they sign in
    anywhere, and their emails and texts follow it."""
    response = i18n.set_language(request)
    chosen = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and translation.check_for_language(chosen)
    ):
        # A language the site has but accounts don't: this browser's cookie is enough.
        with contextlib.suppress(ValidationError):
            language.user_language_save(user=signed_in_user(request), language=chosen)
    return response


def _open_event(slug: str) -> Event:
    event = event_selectors.event_public_get(slug=slug)
    if event is None:
        raise Http404
    return event


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = Profile.objects.filter(user=user).first()
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            texts, future_days = fields.pop("texts", False), fields.pop("future_days")
            try:
                with transaction.atomic():
                    services.profile_save(user=user, **fields)
                    preferences.contact_preferences_save(
                        user=user,
                        phone=fields["phone"],
                        texts=texts,
                        future_days=future_days,
                        language=translation.get_language() or settings.LANGUAGE_CODE,
                        now=timezone.now(),
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your volunteer profile is saved."))
                return redirect(_safe_next(request, reverse("volunteers:my_shifts")))
    else:
        initial: dict[str, object] = {
            "name": user.name,
            "preferred_language": user.preferred_language,
        }
        if profile:
            initial.update({field: getattr(profile, field) for field in services.PROFILE_FIELDS})
        initial["texts"] = preferences.text_consent(user.pk) is not None
        initial["future_days"] = preferences.subscribed(user.pk, Subscription.Topic.FUTURE_DAYS)
        form = ProfileForm(initial=initial)
    return render(
        request,
        "volunteers/profile.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "has_profile": profile is not None,
            "guardian_fields": GUARDIAN_FIELDS,
            "minor_band": AgeBand.MINOR.value,
        },
    )


@require_GET
def shift_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = _open_event(slug)
    city = request.GET.get("city", "")
    part = request.GET.get("part", "")
    return render(
        request,
        "volunteers/shift_list.html",
        {
            "event": event,
            "corners": selectors.event_shift_listing(event=event, city=city, part_of_day=part),
            "cities": selectors.event_cities(event),
            "city": city,
            "part": part,
            "mine": selectors.user_signups_by_shift(user=request.user, event=event),  # type: ignore[arg-type]
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def shift_signup(request: HttpRequest, shift_id: int) -> HttpResponse:
    """GET: what you are signing up for (and the waiver); POST: sign up."""
    user = signed_in_user(request)
    shift = get_object_or_404(Shift.objects.select_related("corner__event"), pk=shift_id)
    event = shift.corner.event
    if event.status == Event.Status.DRAFT:
        raise Http404
    back = reverse("volunteers:shift_list", args=[event.slug])
    if not Profile.objects.filter(user=user).exists():
        return _profile_first(request)
    mine = selectors.user_signups_by_shift(user=user, event=event).get(shift.pk)
    if mine is not None and request.method == "GET":
        # Already on it (or in line): the page says so and offers nothing to submit (a second
        # submission from another tab is refused by signup_create).
        return render(
            request,
            "volunteers/shift_signup.html",
            {
                "shift": shift,
                "event": event,
                "back": back,
                "mine": mine,
                "position": selectors.waitlist_position(mine),
            },
        )
    needs_waiver = services.waiver_needed(user=user, event=event)
    if request.method == "POST":
        try:
            signup = services.signup_create(
                user=user,
                shift=shift,
                now=timezone.now(),
                accept_waiver=request.POST.get("accept_waiver") == "on",
            )
        except ValidationError as error:
            _refused(request, error)
            if getattr(error, "code", None) != "waiver":
                return redirect(back)
        else:
            if signup.status == Signup.Status.CONFIRMED:
                messages.success(request, _("You are signed up. Thank you!"))
            else:
                messages.info(
                    request,
                    _("This shift is full: you are number %(position)s on its waitlist.")
                    % {"position": services.waitlist_position(signup)},
                )
            return redirect("volunteers:my_shifts")
    return render(
        request,
        "volunteers/shift_signup.html",
        {"shift": shift, "event": event, "needs_waiver": needs_waiver, "back": back},
    )


@login_required
@require_http_methods(["GET", "POST"])
def signup_cancel(request: HttpRequest, signup_id: int) -> HttpResponse:
    """GET: what cancelling means (the place goes to the next person waiting); POST: cancel."""
    signup = get_object_or_404(
        Signup.objects.select_related("shift__corner__event"),
        pk=signup_id,
        user=signed_in_user(request),
    )
    waitlisted = signup.status == Signup.Status.WAITLISTED
    if request.method == "POST":
        try:
            services.signup_cancel(signup=signup, now=timezone.now())
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(
                request,
                _("You have left the waitlist. Thank you for letting us know.")
                if waitlisted
                else _("Your sign-up is cancelled. Thank you for letting us know."),
            )
        return redirect("volunteers:my_shifts")
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        messages.info(request, _("This sign-up is already cancelled."))
        return redirect("volunteers:my_shifts")
    return render(
        request,
        "volunteers/signup_cancel.html",
        {
            "signup": signup,
            "shift": signup.shift,
            "event": signup.shift.corner.event,
            "waitlisted": waitlisted,
            "position": selectors.waitlist_position(signup),
            "waiting": selectors.shift_waitlisted_count(shift=signup.shift),
            "refusal": selectors.signup_cancel_refusal(signup=signup, now=timezone.now()),
        },
    )


@login_required
@require_GET
def my_shifts(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = Profile.objects.filter(user=user).first()
    feed = (
        request.build_absolute_uri(
            reverse("volunteers:calendar_feed", args=[profile.calendar_token])
        )
        if profile
        else ""
    )
    return render(
        request,
        "volunteers/my_shifts.html",
        {
            "shifts": selectors.user_upcoming_signups(user=user, now=timezone.now()),
            "pool_entries": PoolEntry.objects.filter(
                user=user, status=PoolEntry.Status.WAITING
            ).select_related("event"),
            "feed_url": feed,
            "has_profile": profile is not None,
            "give_token": profile.give_token if profile else "",
            "site_url": request.build_absolute_uri("/").rstrip("/"),
        },
    )


@login_required
@require_POST
def calendar_link_reset(request: HttpRequest) -> HttpResponse:
    try:
        services.profile_calendar_token_reset(user=signed_in_user(request))
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _(
                "Your calendar link is new, and the old one no longer works. Subscribe to the "
                "new link in your calendar app."
            ),
        )
    return redirect(f"{reverse('volunteers:my_shifts')}#calendar-feed")


def _my_shifts_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("volunteers:my_shifts"))


@login_required
@require_GET
def signup_ics(request: HttpRequest, signup_id: int) -> HttpResponse:
    signup = get_object_or_404(
        Signup.objects.select_related("shift__corner__event"),
        pk=signup_id,
        user=signed_in_user(request),
    )
    return calendars.ics_response(
        calendars.signups_calendar([signup], site_url=_my_shifts_url(request)),
        filename=f"pledgeday-shift-{signup.pk}.ics",
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A personal feed for calendar apps: the token in the URL is the only credential."""
    profile = get_object_or_404(Profile.objects.select_related("user"), calendar_token=token)
    signups = selectors.user_calendar_signups(user=profile.user)
    with translation.override(profile.user.preferred_language):
        calendar = calendars.signups_calendar(signups, site_url=_my_shifts_url(request))
    return calendars.ics_response(calendar, filename="pledgeday.ics")


@login_required
@require_http_methods(["GET", "POST"])
def pool_join(request: HttpRequest, slug: str) -> HttpResponse:
    """'I can stand anywhere': the volunteer gives a window and organizers auto-assign."""
    user = signed_in_user(request)
    event = _open_event(slug)
    if not Profile.objects.filter(user=user).exists():
        return _profile_first(request)
    form = PoolForm(request.POST or None, cities=selectors.event_cities(event))
    needs_waiver = services.waiver_needed(user=user, event=event)
    if request.method == "POST" and form.is_valid():
        day = event.starts_at.astimezone(event.tzinfo).date()
        data = form.cleaned_data
        try:
            services.pool_join(
                user=user,
                event=event,
                available_from=dt.datetime.combine(day, data["available_from"], event.tzinfo),
                available_until=dt.datetime.combine(day, data["available_until"], event.tzinfo),
                preferred_city=data["preferred_city"],
                now=timezone.now(),
                accept_waiver=request.POST.get("accept_waiver") == "on",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Thank you! Organizers will place you where you are needed most.")
            )
            return redirect("volunteers:my_shifts")
    return render(
        request,
        "volunteers/pool_join.html",
        {"event": event, "form": form, "needs_waiver": needs_waiver},
    )


@login_required
@require_POST
def pool_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(PoolEntry, pk=entry_id, user=signed_in_user(request))
    services.pool_leave(entry=entry)
    messages.success(request, _("You have left the pool."))
    return redirect("volunteers:my_shifts")
