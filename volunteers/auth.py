"""The signed-in person of a request, typed as our User (for views behind login_required)."""

from __future__ import annotations

from django.http import HttpRequest

from volunteers.models import User


def signed_in_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required guarantees it)
    return request.user
