"""Production settings refuse to start without their secrets, PostgreSQL and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "9f3Kq-1Zr8vT0mW2yB7nLc4Xp6Hs5Dg_eJa+uQiVoNtRkYwEbMlFh",
    "ALLOWED_HOSTS": "pledgeday.example.org",
    "DATABASE_URL": "postgres://pledgeday@db.example.org:5432/pledgeday",
    "REDIS_URL": "redis://cache.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
}


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in GOOD and k != "DJANGO_SETTINGS_MODULE"}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_starts_with_everything_set() -> None:
    result = run_check(GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must list"),
        ("DATABASE_URL", "DATABASE_URL must point at PostgreSQL"),
        ("REDIS_URL", "REDIS_URL must be set"),
        ("EMAIL_URL", "EMAIL_URL (SMTP) or EMAIL_BACKEND (a django-anymail provider) must be set"),
        ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set"),
        ("STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set"),
    ],
)
def test_production_refuses_to_start_without(missing: str, message: str) -> None:
    result = run_check({k: v for k, v in GOOD.items() if k != missing})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_sqlite() -> None:
    result = run_check({**GOOD, "DATABASE_URL": "sqlite:////tmp/pledgeday.sqlite3"})
    assert result.returncode != 0
    assert "must point at PostgreSQL, not django.db.backends.sqlite3" in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    result = run_check({**GOOD, "SECRET_KEY": "short"})
    assert "at least 50 characters" in result.stderr


def test_production_sends_mail_through_an_email_provider_with_anymail() -> None:
    env = {k: v for k, v in GOOD.items() if k != "EMAIL_URL"}
    env.update(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="server-token",
    )
    result = run_check(env)
    assert result.returncode == 0, result.stderr
    refused = run_check({**env, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"})
    assert "EMAIL_BACKEND may only name a django-anymail backend" in refused.stderr
