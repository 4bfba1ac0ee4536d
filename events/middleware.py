"""Middleware that keeps NUL bytes from the URL and cookies away from every view and query.

PostgreSQL refuses NUL in text, so a NUL that reached a lookup (a bucket token, a personal give
link, a calendar feed token, a ?city= filter, an admin search) answered 500. No real link
carries one: a path or query string with a NUL byte answers the friendly 404 before any view
runs, in the reader's language. A cookie with a NUL byte (a forged session cookie) is dropped,
as if it had not been sent. Form fields need nothing here: Django's form fields refuse NUL with
a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation

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
