"""Security settings from the environment: the proxies in front (production trusts one load
balancer), the gift-start limits, the Content-Security-Policy; renamed variables are refused
rather than silently ignored; .env.example documents what is read."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.config.test_settings import GOOD, ROOT, run_check


def production_setting(name: str, **env: str) -> str:
    """repr() of one production setting, with GOOD plus env in the environment."""
    clean = {k: v for k, v in os.environ.items() if k not in GOOD}
    clean.update(GOOD, **env, DJANGO_SETTINGS_MODULE="config.settings.production")
    code = f"from django.conf import settings; print(repr(settings.{name}))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_trusts_one_proxy_by_default() -> None:
    assert production_setting("TRUSTED_PROXY_COUNT") == "1"


def test_production_reads_the_number_of_proxies_from_the_environment() -> None:
    assert production_setting("TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2") == "2"


def test_production_lets_the_give_form_redirect_to_stripe_checkout() -> None:
    directives = production_setting("CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']")
    assert directives == "[\"'self'\", 'https://checkout.stripe.com']"


def test_the_gift_start_limits_are_read_from_the_environment() -> None:
    read = production_setting("DONATION_LIMIT_PER_ADDRESS", DONATION_LIMIT_PER_ADDRESS="500/10m")
    assert read == "'500/10m'"


def test_a_malformed_limit_refuses_to_start() -> None:
    result = run_check({**GOOD, "DONATION_LIMIT_PER_BROWSER": "ten a minute"})
    assert result.returncode != 0
    assert 'DONATION_LIMIT_PER_BROWSER must look like "10/10m"' in result.stderr


def test_the_replaced_forwarded_for_switch_refuses_to_start() -> None:
    # Silently ignoring it could trust a forged header where nothing sits in front.
    result = run_check({**GOOD, "USE_X_FORWARDED_FOR": "false"})
    assert result.returncode != 0
    assert "USE_X_FORWARDED_FOR is no longer read: set TRUSTED_PROXY_COUNT" in result.stderr


def test_the_replaced_per_ip_limit_refuses_to_start() -> None:
    result = run_check({**GOOD, "DONATION_RATE_PER_IP": "8"})
    assert result.returncode != 0
    assert "DONATION_RATE_PER_IP is no longer read" in result.stderr


def test_env_example_documents_the_security_settings() -> None:
    example = (ROOT / ".env.example").read_text()
    for name in [
        "TRUSTED_PROXY_COUNT",
        "DONATION_LIMIT_PER_BROWSER",
        "DONATION_LIMIT_PER_ADDRESS",
        "DONATION_ALERT_PER_EVENT",
        "STRIPE_CHECKOUT_ORIGIN",
        "CSP_REPORT_URI",
    ]:
        assert f"# {name}=" in example
    for gone in ["USE_X_FORWARDED_FOR", "DONATION_RATE_PER_IP", "DONATION_RATE_PER_EVENT"]:
        assert gone not in example
