"""Auto-assign runs as a Celery task: the request records and queues a run, the task places the
pool once, and the dashboard shows the latest result."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from events.models import Event, Membership
from tests.factories import CornerFactory, MembershipFactory, published_event, volunteer
from tests.support.volunteering import at, shift_at, text
from volunteers import services, tasks
from volunteers.models import AutoAssignRun, PoolEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> Event:
    """One shift 9:00-12:00 with room for 2, and three volunteers waiting in the pool 8-14."""
    event = published_event()
    shift_at(CornerFactory(event=event), 9, capacity=2, min_volunteers=1)
    for _ in range(3):
        services.pool_join(
            user=volunteer(),
            event=event,
            available_from=at(8),
            available_until=at(14),
            preferred_city="",
            now=timezone.now(),
        )
    return event


@pytest.fixture
def organizer(event: Event) -> User:
    return MembershipFactory(event=event, role=Membership.Role.ORGANIZER).user


def waiting(event: Event) -> int:
    return PoolEntry.objects.filter(event=event, status=PoolEntry.Status.WAITING).count()


def request_run(event: Event, organizer: User, now: dt.datetime | None = None) -> AutoAssignRun:
    return services.auto_assign_run_create(
        event=event, requested_by=organizer, now=now or timezone.now()
    )


# --- The service and the task -----------------------------------------------------------------


def test_a_request_records_a_queued_run_and_places_nobody_yet(
    event: Event, organizer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = request_run(event, organizer)
    assert len(callbacks) == 1  # the task, queued once the request commits
    run.refresh_from_db()
    assert (run.status, run.requested_by, run.finished_at) == ("queued", organizer, None)
    assert waiting(event) == 3


def test_the_task_places_the_pool_and_records_what_it_did(
    event: Event, organizer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(event, organizer)
    run.refresh_from_db()
    assert run.status == AutoAssignRun.Status.DONE
    assert (run.placed_count, run.waiting_count) == (2, 1)
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.error == ""
    assert waiting(event) == 1


def test_running_the_same_task_again_does_nothing(
    event: Event, organizer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(event, organizer)
    run.refresh_from_db()
    # Room for one more, and someone still waiting: a second run would place them.
    shift_at(CornerFactory(event=event), 13, capacity=2, min_volunteers=1)
    assert tasks.auto_assign_run.delay(run.pk).get() == "skipped"
    again = AutoAssignRun.objects.get(pk=run.pk)
    assert (again.placed_count, again.finished_at) == (2, run.finished_at)
    assert waiting(event) == 1


def test_a_second_request_while_a_run_is_queued_is_refused(event: Event, organizer: User) -> None:
    request_run(event, organizer)
    with pytest.raises(ValidationError) as refused:
        request_run(event, MembershipFactory(event=event).user)
    assert refused.value.code == "already_running"
    assert AutoAssignRun.objects.filter(event=event).count() == 1


def test_a_run_lost_long_ago_no_longer_blocks_a_new_one(event: Event, organizer: User) -> None:
    now = timezone.now()
    lost = request_run(event, organizer, now=now - dt.timedelta(minutes=11))
    request_run(event, organizer, now=now)
    lost.refresh_from_db()
    assert lost.status == AutoAssignRun.Status.FAILED
    assert lost.finished_at == now
    assert "lost" in lost.error


def test_a_run_that_breaks_is_recorded_as_failed(
    event: Event,
    organizer: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(**_kwargs: object) -> list[object]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.pool, "event_auto_assign", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(event, organizer)
    run.refresh_from_db()
    assert run.status == AutoAssignRun.Status.FAILED
    assert run.error == "RuntimeError: the database went away"
    assert run.finished_at is not None
    request_run(event, organizer)  # a failed run does not block the next


# --- The dashboard ----------------------------------------------------------------------------


def dashboard(event: Event) -> str:
    return reverse("volunteers:organize", args=[event.slug])


def ask(client: Client, event: Event) -> Any:
    return client.post(reverse("volunteers:auto_assign", args=[event.slug]), follow=True)


def test_asking_for_auto_assign_answers_at_once_without_placing_anyone(
    client: Client, event: Event, organizer: User
) -> None:
    client.force_login(organizer)
    page = text(ask(client, event))  # the task runs only after the request commits
    assert "Auto-assign has started" in page
    assert "Auto-assign is running…" in page
    assert waiting(event) == 3
    assert AutoAssignRun.objects.get(event=event).status == AutoAssignRun.Status.QUEUED


def test_while_a_run_is_queued_the_dashboard_refreshes_and_offers_no_second_run(
    client: Client, event: Event, organizer: User
) -> None:
    request_run(event, organizer)
    client.force_login(organizer)
    page = text(client.get(dashboard(event)))
    assert '<meta http-equiv="refresh" content="5">' in page
    button = page[page.index(reverse("volunteers:auto_assign", args=[event.slug])) :]
    assert "disabled" in button[: button.index("</button>")]


def test_a_second_click_while_running_says_so(
    client: Client, event: Event, organizer: User
) -> None:
    request_run(event, organizer)
    client.force_login(organizer)
    page = text(ask(client, event))
    assert "Auto-assign is already running for this pledge day" in page
    assert AutoAssignRun.objects.filter(event=event).count() == 1


def test_the_dashboard_shows_the_result_of_the_latest_run(
    client: Client, event: Event, organizer: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("volunteers:auto_assign", args=[event.slug]))
    run = AutoAssignRun.objects.get(event=event)
    assert run.finished_at is not None
    finished = formats.time_format(timezone.localtime(run.finished_at, event.tzinfo))
    page = text(client.get(dashboard(event)))
    assert f"Placed 2 volunteers; 1 still waiting — finished {finished}" in page
    assert "http-equiv" not in page


def test_the_dashboard_says_when_the_last_run_failed(
    client: Client, event: Event, organizer: User
) -> None:
    run = request_run(event, organizer)
    AutoAssignRun.objects.filter(pk=run.pk).update(
        status=AutoAssignRun.Status.FAILED, finished_at=timezone.now(), error="RuntimeError: x"
    )
    client.force_login(organizer)
    page = text(client.get(dashboard(event)))
    assert "The last auto-assign did not finish." in page
    assert "RuntimeError" not in page  # that is for the admin, not the organizer


def test_a_volunteer_cannot_start_auto_assign(client: Client, event: Event) -> None:
    client.force_login(volunteer())
    response = client.post(reverse("volunteers:auto_assign", args=[event.slug]))
    assert response.status_code == 403
    assert not AutoAssignRun.objects.exists()
