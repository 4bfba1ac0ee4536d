"""django-sms's Twilio backend with a time limit on each request. Twilio's client waits forever
by default: a send that hangs would outlive its notice's lease (the worker's time limit only
stops it under Celery's prefork pool), and another worker would text the person again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from sms.backends.twilio import SmsBackend as TwilioSmsBackend
from twilio.http.http_client import TwilioHttpClient


class SmsBackend(TwilioSmsBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        if self.client is not None:
            self.client.http_client = TwilioHttpClient(timeout=settings.SMS_TIMEOUT)
