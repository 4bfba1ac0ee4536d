"""A Stripe double for transfers, behind the stand-in transport (or an HTTP server for a real
worker): it keeps the transfers it made and, like Stripe, answers a repeated idempotency key with
the transfer that key made. Connect cannot be tried against localstripe (it has no Connect), and
nothing here ran against Stripe itself."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from tests.donations import stripe_shapes as shapes


class Transfers:
    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, params: dict[str, str], key: str) -> dict[str, Any]:
        with self._lock:
            if key and key in self.by_key:
                return self.by_key[key]
            metadata = {
                name[len("metadata[") : -1]: value
                for name, value in params.items()
                if name.startswith("metadata[")
            }
            transfer = shapes.shape(
                "transfer",
                id=f"tr_test_{next(self._ids):04d}",
                amount=int(params["amount"]),
                currency=params["currency"],
                destination=params["destination"],
                transfer_group=params.get("transfer_group"),
                metadata=metadata,
            )
            self.made.append(transfer)
            if key:
                self.by_key[key] = transfer
            return transfer

    def listing(self, group: str) -> dict[str, Any]:
        with self._lock:
            data = [t for t in self.made if t["transfer_group"] == group]
        return {"object": "list", "url": "/v1/transfers", "has_more": False, "data": data}
