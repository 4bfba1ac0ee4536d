"""Path converters for the tokens in the site's URLs: only what our code makes can match, so a
mistyped or hostile token is the friendly 404 without reaching the database.

Registered once, on import (the apps' urls.py modules import this module).
"""

from __future__ import annotations

from django.urls import register_converter

from events.models import TOKEN_ALPHABET


class BucketTokenConverter:
    """A bucket's QR token (events.models.bucket_token_new), in either case: a QR code or a
    person may write it in capitals. Matched case-insensitively and given to the view in
    lowercase, the only case tokens are stored in."""

    regex = f"[{TOKEN_ALPHABET}{TOKEN_ALPHABET.upper()}]{{12,32}}"

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value: str) -> str:
        return value


class UrlTokenConverter:
    """A secrets.token_urlsafe() token (a donation's public token, a calendar feed token)."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BucketTokenConverter, "bucket_token")
register_converter(UrlTokenConverter, "url_token")
