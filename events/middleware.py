"""Middleware: NUL bytes kept from the URL and cookies, and a friendly page for a button's address
opened as a page.

NUL bytes are kept away from every view and query.

PostgreSQL refuses NUL in text, so a NUL that reached a lookup (a bucket token, a personal give
link, a calendar feed token, a ?city= filter, an admin search) answered 500. No real link
carries one: a path or query string with a NUL byte answers the friendly 404 before any view
runs, in the reader's language. A cookie with a NUL byte (a forged session cookie) is dropped,
as if it had not been sent. Form fields need nothing here: Django's form fields refuse NUL with
a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from events.models import Event

NUL = "\x00"


def _query_has_nul(request: HttpRequest) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
    )


class RefuseNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name in [n for n, v in request.COOKIES.items() if NUL in n or NUL in v]:
            del request.COOKIES[name]
        if NUL in request.path_info or _query_has_nul(request):
            # Runs before LocaleMiddleware: choose the language it would, for the 404 page.
            translation.activate(translation.get_language_from_request(request))
            raise Http404("NUL byte in the URL")
        return self.get_response(request)


ORGANIZE_PATH = re.compile(r"^/organize/(?P<slug>[-a-zA-Z0-9_]+)/")


class FriendlyMethodNotAllowedMiddleware:
    """A button's address opened as a page (a bookmark, a link in an email, a reload) answers
    Django's empty 405, which a browser shows as its own error page with no way back. Such a GET
    gets our page instead, in the reader's language: what happened and where to go (the pledge
    day's organizer page for an organizer's button). The status stays 405 and the Allow header
    is kept; anything but a page view (POST, HEAD, an API) is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.method != "GET" or response.content:
            return response
        found = ORGANIZE_PATH.match(request.path_info)
        slug = found.group("slug") if found else ""
        if slug and not Event.objects.filter(slug=slug).exists():
            slug = ""  # /organize/shifts/12/...: no pledge day in the address
        page = render(request, "405.html", {"organize_slug": slug}, status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
