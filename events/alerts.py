"""Alerts: what the people who run the site must act on. Logged at ERROR on the logger
"pledgeday.alerts" at once, and mailed to the site's ADMINS (through Celery) once the current
transaction commits. The database state that caused an alert (a parked payment, a failed
receipt) stays where organizers see it; the alert only points at it."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger("pledgeday.alerts")


def alert(*, subject: str, detail: str) -> None:
    """Raise an alert. Outside a transaction (for example after a rollback) it goes out now."""
    logger.error("%s — %s", subject, detail)
    from events.tasks import alert_mail

    transaction.on_commit(lambda: alert_mail.delay(subject, detail), robust=True)
