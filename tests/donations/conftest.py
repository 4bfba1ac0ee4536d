"""Fixtures of the money-path tests: a published pledge day and the people who run it."""

from __future__ import annotations

import pytest

from events.models import Event, Membership
from tests.factories import MembershipFactory, published_event
from volunteers.models import User


@pytest.fixture
def event() -> Event:
    return published_event()


@pytest.fixture
def organizer(event: Event) -> User:
    return MembershipFactory(event=event).user


@pytest.fixture
def witness(event: Event) -> User:
    return MembershipFactory(event=event).user


@pytest.fixture
def finance(event: Event) -> User:
    """A finance organizer: refunds, voids and parked payments are theirs (and leads')."""
    return MembershipFactory(event=event, role=Membership.Role.FINANCE).user
