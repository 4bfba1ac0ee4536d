"""Email to volunteers, in their own language; the one module that sends it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from volunteers.models import Signup


def promotion_email_send(*, signup: Signup, site_url: str) -> None:
    """Tell a volunteer their waitlisted place is now confirmed."""
    event = signup.shift.corner.event
    with translation.override(signup.user.preferred_language):
        context = {"signup": signup, "shift": signup.shift, "event": event, "site_url": site_url}
        subject = render_to_string("volunteers/email/promoted_subject.txt", context).strip()
        body = render_to_string("volunteers/email/promoted.txt", context)
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [signup.user.email],
    )
