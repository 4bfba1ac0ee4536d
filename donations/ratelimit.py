"""Card-testing defence: how many gifts may start per IP address and per event, in the cache."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit in a fixed window; False once the limit is passed."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def donation_start_allowed(*, client_ip: str, event_id: int) -> bool:
    per_ip, ip_window = settings.DONATION_RATE_PER_IP
    per_event, event_window = settings.DONATION_RATE_PER_EVENT
    return _hit(f"give:ip:{client_ip}", limit=per_ip, window_seconds=ip_window) and _hit(
        f"give:event:{event_id}", limit=per_event, window_seconds=event_window
    )
