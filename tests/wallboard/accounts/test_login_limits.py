"""Signing in: a lockout after repeated wrong passwords (django-axes) and a rate limit on
attempts, both per client address and user name, with the address taken from the
configured proxy header behind a reverse proxy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings

from tests.conftest import make_user
from tests.wallboard.accounts.limits import forget_rate_limits

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    forget_rate_limits()
    yield
    forget_rate_limits()


def _sign_in(username: str, password: str, address: str = "192.0.2.7", **headers: str) -> Any:
    return Client(REMOTE_ADDR=address, headers=headers).post(
        "/login/", {"username": username, "password": password}
    )


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def test_five_wrong_passwords_lock_the_name_out_from_that_address() -> None:
    make_user("ivana", "supervisor", password="right")
    for _ in range(5):
        assert _sign_in("ivana", "wrong").status_code in (200, 429)
    locked = _sign_in("ivana", "right")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "cannot sign in from your address for 15 minutes" in text
    assert "After 5 wrong passwords" in text
    assert not _signed_in(locked)
    # The same person elsewhere, and another name from the same address, are not locked.
    assert _signed_in(_sign_in("ivana", "right", address="198.51.100.9"))
    make_user("petr", "supervisor", password="right")
    assert _signed_in(_sign_in("petr", "right"))


def test_the_lockout_ends_after_the_cool_off() -> None:
    make_user("ivana", "supervisor", password="right")
    for _ in range(5):
        _sign_in("ivana", "wrong")
    assert _sign_in("ivana", "right").status_code == 429
    attempt = AccessAttempt.objects.get(username="ivana")
    attempt.attempt_time -= timedelta(minutes=16)
    attempt.save()
    assert _signed_in(_sign_in("ivana", "right"))


def test_a_successful_sign_in_resets_the_count() -> None:
    make_user("ivana", "supervisor", password="right")
    for _ in range(4):
        _sign_in("ivana", "wrong")
    assert _signed_in(_sign_in("ivana", "right"))
    for _ in range(4):
        _sign_in("ivana", "wrong")
    assert _signed_in(_sign_in("ivana", "right"))


@override_settings(CLIENT_IP_HEADER="X-Forwarded-For", TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_is_locked_not_the_proxy() -> None:
    make_user("ivana", "supervisor", password="right")
    for _ in range(5):
        # What the client wrote itself (left of the proxy's entry) is not believed.
        _sign_in("ivana", "wrong", PROXY, X_Forwarded_For="1.2.3.4, 203.0.113.5")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    locked = _sign_in("ivana", "right", PROXY, X_Forwarded_For="5.6.7.8, 203.0.113.5")
    assert locked.status_code == 429
    assert _signed_in(_sign_in("ivana", "right", PROXY, X_Forwarded_For="203.0.113.77"))


# Per day: a window boundary inside the test would reset the count.
@override_settings(LOGIN_RATE_LIMIT="3/d", AXES_FAILURE_LIMIT=100)
def test_sign_in_attempts_are_rate_limited_per_address_and_name() -> None:
    make_user("ivana", "supervisor", password="right")
    for _ in range(3):
        assert _sign_in("ivana", "wrong").status_code == 200
    limited = _sign_in("ivana", "right")
    assert limited.status_code == 429
    assert "Too many sign-in attempts. Wait" in limited.content.decode()
    assert not _signed_in(limited)
    # The limited attempt never reached the password check: no failure was recorded for it.
    assert AccessAttempt.objects.get(username="ivana").failures_since_start == 3
    assert _signed_in(_sign_in("ivana", "right", address="198.51.100.9"))
