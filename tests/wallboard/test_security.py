"""Production security settings: `check --deploy` is clean, real responses carry the
headers and cookie flags, and no template needs an inline script or style."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client, override_settings
from django.utils.crypto import get_random_string

from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "wallboard.settings",
    "DATABASE_URL": "postgres://wallboard@db.internal:5432/wallboard",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "SECRET_KEY": get_random_string(64),
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "wallboard.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://wallboard.example.com",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "HTTPS": "true",
    "DEBUG": "false",
}
# What the production settings module decides about HTTPS, cookies and headers.
SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
    "CSRF_TRUSTED_ORIGINS",
]


def _clean_env(**overrides: str) -> dict[str, str]:
    """Production's environment, none of the test run's (tests/settings.py sets some)."""
    system = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {**system, **PRODUCTION_ENV, "PYTHONPATH": str(ROOT), **overrides}


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_production_install_without_https() -> None:
    result = _check_deploy(HTTPS="false")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_a_malformed_rate_limit_stops_start_up() -> None:
    result = _check_deploy(ACTION_RATE_LIMIT="lots")
    assert result.returncode != 0
    assert "ACTION_RATE_LIMIT='lots' is not a rate like 30/m" in result.stderr


def _production_security_settings() -> dict[str, Any]:
    script = (
        "import json\nfrom django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {SECURITY_SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{script}"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    values: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.mark.django_db
def test_responses_carry_the_security_headers_and_cookie_flags() -> None:
    with override_settings(**_production_security_settings()):
        plain = Client().get("/login/")
        assert plain.status_code == 301
        assert plain["Location"] == "https://testserver/login/"

        proxied = Client(headers={"X-Forwarded-Proto": "https"})
        page = proxied.get("/login/")
        assert page.status_code == 200
        assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert page["X-Frame-Options"] == "DENY"
        assert page["X-Content-Type-Options"] == "nosniff"
        assert page["Referrer-Policy"] == "same-origin"
        assert page["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = {d.split()[0]: d.split()[1:] for d in page["Content-Security-Policy"].split("; ")}
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "unsafe" not in page["Content-Security-Policy"]

        make_user("ivana", "supervisor", password="right")
        signed_in = proxied.post("/login/", {"username": "ivana", "password": "right"})
        assert signed_in.status_code == 302
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            cookie = signed_in.cookies[name]
            assert cookie["secure"] is True
            assert cookie["httponly"] is True
            assert cookie["samesite"] == "Lax"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"), "script"),
    (re.compile(r"<style\b"), "<style>"),
    (re.compile(r"\sstyle=", re.IGNORECASE), "style="),
    (re.compile(r"\son[a-z]+=", re.IGNORECASE), "on*= handler"),
]


def test_no_template_has_an_inline_script_style_or_event_handler() -> None:
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            found += [
                f"{template.relative_to(ROOT)}:{number}: {what}"
                for pattern, what in INLINE
                if pattern.search(line)
            ]
    assert found == []
