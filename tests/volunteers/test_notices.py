"""The email to a volunteer moved up from the waitlist goes out once, even when a send is cut
by the task's soft time limit (issue 7, scenario 17; since issue 10 a notice like the others)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from notices import services as notices
from notices.models import Notice
from tests.factories import open_shift, volunteer
from tests.support.mail import FailingBackend
from tests.support.volunteering import signed_up
from volunteers import services
from volunteers.models import SignupNotice
from volunteers.tasks import signup_promoted_notify

pytestmark = pytest.mark.django_db


@override_settings(EMAIL_BACKEND="tests.support.mail.FailingBackend")
def test_a_promotion_email_cut_by_the_soft_time_limit_is_sent_by_a_later_scan_once(
    mailoutbox,
) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    first, waiting = volunteer(), volunteer()
    place = signed_up(first, shift)
    signed_up(waiting, shift)
    now = timezone.now()
    _cancelled, promoted = services.signup_cancel(signup=place, now=now)
    assert promoted is not None
    notice = Notice.objects.get(user=waiting, kind=Notice.Kind.PROMOTED)
    FailingBackend.failures = [SoftTimeLimitExceeded()]
    try:
        assert notices.notice_send(notice_id=notice.pk, now=now) == "retry"
        assert notices.notice_send(notice_id=notice.pk, now=now) == "not due"  # backing off
        later = now + notices.RETRY_AFTER
        assert notices.notices_due(now=later) == [notice.pk]
        assert notices.notice_send(notice_id=notice.pk, now=later) == "sent"
        assert notices.notice_send(notice_id=notice.pk, now=later) == "not due"
    finally:
        FailingBackend.failures = []
    assert [m.to for m in mailoutbox] == [[waiting.email]]
    assert settings.NOTICE_LEASE_SECONDS > 0


def test_a_promotion_queued_by_the_earlier_release_is_not_told_twice(mailoutbox) -> None:
    """A task `signup_promoted_notify` still in the broker from before promotions were notices:
    if the old way sent it (its SignupNotice row), nothing more; else the notice, once."""
    shift = open_shift(capacity=2, min_volunteers=1)
    told, untold = volunteer(), volunteer()
    told_signup, untold_signup = signed_up(told, shift), signed_up(untold, shift)
    SignupNotice.objects.create(signup=told_signup, kind="promoted", sent_at=timezone.now())
    assert signup_promoted_notify(told_signup.pk) is False
    assert signup_promoted_notify(untold_signup.pk) is True
    assert signup_promoted_notify(untold_signup.pk) is False
    assert Notice.objects.filter(kind=Notice.Kind.PROMOTED).count() == 1
    assert dt.timedelta(0) <= timezone.now() - Notice.objects.get().due_at < dt.timedelta(minutes=1)
