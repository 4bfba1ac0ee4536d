"""gunicorn settings of bench/live.py (bench only; production runs `gunicorn config.wsgi`).

With PLEDGEDAY_BENCH_LEDGER_ONLY=1 in its environment (set by bench/live.py for one server, read
by nothing else), each worker replaces three functions of donations.services.ledger once the
application is loaded: the gift's split (its queries), the allocations' INSERT and the tallies'
INSERT … ON CONFLICT become no-ops, so the webhook writes the gift and its ledger entry as it
did before allocations and tallies. That server answers the same signed events; the difference
between the two is what allocations and tallies cost. The bench's pledge day has no matching
pledge, so the placeholder split is never used to match.
"""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    if os.environ.get("PLEDGEDAY_BENCH_LEDGER_ONLY") != "1":
        return
    from donations.services import ledger
    from donations.services.allocations import Split

    placeholder = Split(weights=((0, 1),), designated=False)
    ledger.gift_split = lambda donation: placeholder
    ledger.allocations_write = lambda entries, **_kwargs: []
    ledger.ledger_change_record = lambda entries, **_kwargs: None
    worker.log.info("bench: allocations and tallies are not written by this worker")
