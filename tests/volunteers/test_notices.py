"""The email to a volunteer moved up from the waitlist goes out once, even when a send is cut
by the task's soft time limit (issue 7, scenario 17: receipts and notices)."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.test import override_settings
from django.utils import timezone

from tests.factories import open_shift, volunteer
from tests.support.mail import FailingBackend
from tests.support.volunteering import signed_up
from volunteers import services
from volunteers.models import SignupNotice
from volunteers.tasks import signup_promoted_notify

pytestmark = pytest.mark.django_db


@override_settings(EMAIL_BACKEND="tests.support.mail.FailingBackend")
def test_a_promotion_email_cut_by_the_soft_time_limit_is_sent_by_the_retry_once(
    mailoutbox,
) -> None:
    shift = open_shift(capacity=1, min_volunteers=1)
    first, waiting = volunteer(), volunteer()
    place = signed_up(first, shift)
    signed_up(waiting, shift)
    _cancelled, promoted = services.signup_cancel(signup=place, now=timezone.now())
    assert promoted is not None
    FailingBackend.failures = [SoftTimeLimitExceeded()]
    try:
        with pytest.raises(Retry):  # eager Celery hands the retry back
            signup_promoted_notify.delay(promoted.pk)
        assert not SignupNotice.objects.exists()
        assert signup_promoted_notify.delay(promoted.pk).get() is True
        assert signup_promoted_notify.delay(promoted.pk).get() is False
    finally:
        FailingBackend.failures = []
    assert [m.to for m in mailoutbox] == [[waiting.email]]
    assert SignupNotice.objects.count() == 1
