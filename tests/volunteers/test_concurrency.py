"""Sign-ups under concurrency, on PostgreSQL, each writer a thread with its own connection.

Capacity is decided under the shift's row lock (volunteers.services.signups._shift_lock). The
control run replaces that lock with a plain read and lines every writer up after it: they all see
the shift empty, all try to confirm, and those past capacity crash into the database's check
constraint instead of joining the waitlist. That is the race the lock closes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Shift
from tests.factories import MembershipFactory, open_shift, volunteer
from volunteers import services
from volunteers.models import AutoAssignRun, Signup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 8
CAPACITY = 3


def run_at_once(work: list[Callable[[], object]]) -> list[str]:
    """Start every callable at the same moment; collect 'ok:<result>' or the error's name."""
    barrier = threading.Barrier(len(work), timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def runner(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            result = job()
            outcome = f"ok:{getattr(result, 'status', result)}"
        except Exception as error:  # the outcome is what the test inspects
            outcome = type(error).__name__
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=runner, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def signups_of(shift: Shift, status: str) -> int:
    return Signup.objects.filter(shift=shift, status=status).count()


def sign_up_job(user, shift: Shift, now: dt.datetime) -> Callable[[], object]:
    return lambda: services.signup_create(user=user, shift=shift, now=now)


def cancel_job(signup: Signup, now: dt.datetime) -> Callable[[], object]:
    return lambda: services.signup_cancel(signup=signup, now=now)


def test_concurrent_sign_ups_confirm_exactly_capacity_and_waitlist_the_rest() -> None:
    shift = open_shift(capacity=CAPACITY, min_volunteers=2)
    now = shift.starts_at - dt.timedelta(days=5)
    people = [volunteer() for _ in range(WRITERS)]
    outcomes = run_at_once([sign_up_job(p, shift, now) for p in people])
    assert sorted(outcomes) == ["ok:confirmed"] * CAPACITY + ["ok:waitlisted"] * (
        WRITERS - CAPACITY
    )
    assert Shift.objects.get(pk=shift.pk).confirmed_count == CAPACITY
    assert signups_of(shift, "confirmed") == CAPACITY
    assert signups_of(shift, "waitlisted") == WRITERS - CAPACITY


def test_control_without_the_shift_lock_the_race_shows(monkeypatch) -> None:
    shift = open_shift(capacity=CAPACITY, min_volunteers=2)
    now = shift.starts_at - dt.timedelta(days=5)
    people = [volunteer() for _ in range(WRITERS)]
    everyone_has_read = threading.Barrier(WRITERS, timeout=30)

    def read_without_lock(shift_id: int) -> Shift:
        seen = Shift.objects.select_related("corner__event").get(pk=shift_id)
        everyone_has_read.wait()  # every writer now believes the shift is empty
        return seen

    monkeypatch.setattr(services.signups, "_shift_lock", read_without_lock)
    outcomes = run_at_once([sign_up_job(p, shift, now) for p in people])
    assert outcomes.count("ok:confirmed") == CAPACITY
    assert outcomes.count("IntegrityError") == WRITERS - CAPACITY  # nobody waitlisted: crashes
    assert outcomes.count("ok:waitlisted") == 0
    assert Shift.objects.get(pk=shift.pk).confirmed_count == CAPACITY  # the database held


def test_one_volunteer_submitting_twice_at_once_gets_one_place() -> None:
    shift = open_shift(capacity=CAPACITY)
    now = shift.starts_at - dt.timedelta(days=5)
    person = volunteer()
    outcomes = run_at_once([sign_up_job(person, shift, now) for _ in range(4)])
    assert outcomes.count("ok:confirmed") == 1
    assert outcomes.count("ValidationError") == 3
    assert Shift.objects.get(pk=shift.pk).confirmed_count == 1


def test_two_cancellations_at_once_promote_two_different_people_once_each() -> None:
    shift = open_shift(capacity=2, min_volunteers=1)
    now = shift.starts_at - dt.timedelta(days=5)
    holders = [services.signup_create(user=volunteer(), shift=shift, now=now) for _ in range(2)]
    waiting = [
        services.signup_create(user=volunteer(), shift=shift, now=now + dt.timedelta(seconds=i))
        for i in range(3)
    ]
    outcomes = run_at_once([cancel_job(h, now + dt.timedelta(hours=1)) for h in holders])
    assert len(outcomes) == 2
    assert all(outcome.startswith("ok:") for outcome in outcomes)
    statuses = [Signup.objects.get(pk=s.pk).status for s in waiting]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert Shift.objects.get(pk=shift.pk).confirmed_count == 2


def test_a_waitlisted_volunteer_is_never_promoted_twice() -> None:
    shift = open_shift(capacity=3, min_volunteers=1)
    now = shift.starts_at - dt.timedelta(days=5)
    holders = [services.signup_create(user=volunteer(), shift=shift, now=now) for _ in range(3)]
    only_waiting = services.signup_create(user=volunteer(), shift=shift, now=now)
    run_at_once([cancel_job(h, now + dt.timedelta(hours=1)) for h in holders])
    assert Signup.objects.get(pk=only_waiting.pk).status == "confirmed"
    assert Shift.objects.get(pk=shift.pk).confirmed_count == 1
    assert signups_of(shift, "confirmed") == 1


# --- Changing a shift while people sign up --------------------------------------------------


def update_job(shift: Shift, capacity: int, now: dt.datetime) -> Callable[[], object]:
    return lambda: (
        services.shift_update(shift=shift, capacity=capacity, min_volunteers=1, now=now)[0].capacity
    )


def test_raising_the_capacity_while_newcomers_sign_up_gives_the_places_to_the_waitlist() -> None:
    shift = open_shift(capacity=2, min_volunteers=1)
    now = shift.starts_at - dt.timedelta(days=5)
    for _ in range(2):
        services.signup_create(user=volunteer(), shift=shift, now=now)
    waiting = [
        services.signup_create(user=volunteer(), shift=shift, now=now + dt.timedelta(seconds=i))
        for i in range(3)
    ]
    later = now + dt.timedelta(hours=1)
    newcomers = [volunteer() for _ in range(4)]
    outcomes = run_at_once(
        [update_job(shift, 5, later)] + [sign_up_job(p, shift, later) for p in newcomers]
    )
    assert sorted(outcomes) == ["ok:5"] + ["ok:waitlisted"] * 4
    assert [Signup.objects.get(pk=s.pk).status for s in waiting] == ["confirmed"] * 3
    assert Shift.objects.get(pk=shift.pk).confirmed_count == 5 == signups_of(shift, "confirmed")


def lowering_while_signing_up() -> tuple[Shift, list[Callable[[], object]]]:
    """Capacity 4 with one volunteer; lowering it to 2 races three newcomers signing up."""
    shift = open_shift(capacity=4, min_volunteers=1)
    now = shift.starts_at - dt.timedelta(days=5)
    services.signup_create(user=volunteer(), shift=shift, now=now)
    newcomers = [volunteer() for _ in range(3)]
    return shift, [update_job(shift, 2, now)] + [sign_up_job(p, shift, now) for p in newcomers]


def test_lowering_the_capacity_while_people_sign_up_never_overbooks() -> None:
    shift, jobs = lowering_while_signing_up()
    outcomes = run_at_once(jobs)
    assert "IntegrityError" not in outcomes
    saved = Shift.objects.get(pk=shift.pk)
    assert saved.confirmed_count == signups_of(shift, "confirmed") <= saved.capacity
    # Either the lowering came first (then 2 places: 1 newcomer confirmed, 2 waitlisted), or it
    # came after some sign-ups and was refused with the reason.
    assert ("ok:2" in outcomes) != ("ValidationError" in outcomes)


def test_control_lowering_the_capacity_without_the_shift_lock_crashes(monkeypatch) -> None:
    shift, jobs = lowering_while_signing_up()
    everyone_has_read = threading.Barrier(len(jobs), timeout=30)

    def read_without_lock(shift_id: int) -> Shift:
        seen = Shift.objects.select_related("corner__event").get(pk=shift_id)
        everyone_has_read.wait()  # the lowering saw 1 confirmed, the newcomers saw room for 4
        return seen

    monkeypatch.setattr(services.signups, "_shift_lock", read_without_lock)
    outcomes = run_at_once(jobs)
    assert "IntegrityError" in outcomes  # only the database's check constraint stopped it
    saved = Shift.objects.get(pk=shift.pk)
    assert saved.confirmed_count <= saved.capacity


# --- Auto-assign runs ---------------------------------------------------------------------------


def test_organizers_asking_for_auto_assign_at_once_start_one_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The run's task is only recorded here, not run: with eager Celery a fast first run could
    # finish before a slow thread asks, and a run that has finished rightly allows a new one.
    from volunteers import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.auto_assign_run, "delay", queued.append)
    event = open_shift().corner.event
    organizers = [MembershipFactory(event=event).user for _ in range(4)]
    outcomes = run_at_once(
        [
            lambda user=user: services.auto_assign_run_create(
                event=event, requested_by=user, now=timezone.now()
            )
            for user in organizers
        ]
    )
    assert sorted(outcomes) == ["ValidationError"] * 3 + ["ok:queued"]
    (run,) = AutoAssignRun.objects.filter(event=event)
    assert run.status == AutoAssignRun.Status.QUEUED
    assert queued == [run.pk]  # queued once, after its commit
