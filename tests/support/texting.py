"""A text backend for the tests that fails the way a provider does, then delivers to
django-sms's memory outbox: set `RefusingSmsBackend.errors` to what the next sends raise."""

from __future__ import annotations

from typing import Any, ClassVar

from sms.backends.locmem import SmsBackend


class RefusingSmsBackend(SmsBackend):
    errors: ClassVar[list[Exception]] = []

    def send_messages(self, messages: Any) -> int:
        if RefusingSmsBackend.errors:
            raise RefusingSmsBackend.errors.pop(0)
        return super().send_messages(messages)
