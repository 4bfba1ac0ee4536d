"""A mail backend for the tests that run real workers (tests/notices/test_workers.py): each
message takes a while to "deliver", like a mail server's round trip, so a worker can be killed in
the middle of one, and is written to a file of its own once delivered.

For each message, in EMAIL_FILE_PATH:

1. `<pid>-<n>.sending` first: JSON with the worker's pid, the recipients, the outbox row being
   sent (the `notice` of the caller, notices.emails.notice_email_send, when there is one) and
   the time the send began;
2. then it sleeps SLOW_MAIL_SECONDS (0.2 by default);
3. then `<pid>-<n>.eml`, the message as the server would have accepted it.

Both files appear whole (written aside, then renamed): a reader never sees half of one, and a
process killed before step 3 has delivered nothing. Django's own file backend names its files by
the second and the backend object's id, so two messages can share a file: not this one.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.filebased import EmailBackend

_numbers = itertools.count(1)


def _write(path: Path, data: bytes) -> None:
    aside = path.with_name(path.name + ".part")
    aside.write_bytes(data)
    os.replace(aside, path)


def _notice_pk() -> int | None:
    """The pk of the outbox row the caller is sending (a local named `notice`), if any."""
    from notices.models import Notice

    frame = sys._getframe(1)
    while frame is not None:
        notice = frame.f_locals.get("notice")
        if isinstance(notice, Notice):
            return notice.pk
        frame = frame.f_back  # type: ignore[assignment]
    return None


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        delay = float(os.environ.get("SLOW_MAIL_SECONDS", "0.2"))
        folder = Path(self.file_path)
        sent = 0
        for message in email_messages:
            stem = f"{os.getpid()}-{next(_numbers):06d}"
            facts = {
                "pid": os.getpid(),
                "to": list(message.to),
                "notice": _notice_pk(),
                "began": time.time(),
            }
            _write(folder / f"{stem}.sending", json.dumps(facts).encode())
            time.sleep(delay)  # the server's round trip: a kill here delivers nothing
            _write(folder / f"{stem}.eml", message.message().as_bytes())
            sent += 1
        return sent
