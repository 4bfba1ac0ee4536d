"""A mail backend for the tests that fails the way mail servers do, then delivers to Django's
in-memory outbox: set `FailingBackend.failures` to the errors the next sends raise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.mail.backends.locmem import EmailBackend


class FailingBackend(EmailBackend):
    failures: ClassVar[list[BaseException]] = []

    def send_messages(self, messages: Sequence[Any]) -> int:
        if FailingBackend.failures:
            raise FailingBackend.failures.pop(0)
        return super().send_messages(messages)
