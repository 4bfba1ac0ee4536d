"""What the site's outgoing mail has in common: which failures are for good. Notices
(notices.services) and receipts (donations.services.receipts) both ask it, so an address the
mail server or the provider refuses is failed at once, and anything else is tried again."""

from __future__ import annotations

import smtplib

from anymail.exceptions import AnymailRecipientsRefused
from django.core.mail import BadHeaderError


def is_permanent_refusal(error: BaseException) -> bool:
    """Whether the message was refused for good: an address the SMTP server or the email
    provider (django-anymail) refuses, a 5xx reply, a header that cannot be sent. Sending it
    again would fail the same way, so it is not retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused | BadHeaderError | AnymailRecipientsRefused):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False
