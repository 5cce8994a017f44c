"""Every errno of the manual's error table maps to our error classes with a readable message."""

from __future__ import annotations

import json
import re

import pytest

from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from providers.voipsun import parse
from tests.providers.voipsun.fake_voipsun import fixture

#: "CODE - vendor text - Czech description" lines of the manual's "Chybové stavy" section.
TABLE = [
    re.match(r"(\d{3}) - (.*)", line)
    for line in fixture("errors_table.txt").decode().splitlines()
    if re.match(r"\d{3} - ", line)
]
MANUAL_ERRNOS = [m.group(1) for m in TABLE if m]

EXPECTED: dict[str, type[ProviderError]] = {
    "100": ProviderAuthError,
    "110": UnsupportedActionError,
    **dict.fromkeys(("202", "203", "250", "303", "304", "311", "312"), ProviderNotFoundError),
    **dict.fromkeys(("503", "504", "600", "610", "800", "801", "811"), ProviderNotFoundError),
    # agent not found or wrong PIN: not the account's credentials, so not an auth error
    **dict.fromkeys(("500", "550", "580", "590", "601", "611", "620"), ProviderNotFoundError),
}


def test_the_table_lists_every_documented_errno() -> None:
    assert len(MANUAL_ERRNOS) == 53
    assert MANUAL_ERRNOS[0] == "100"
    assert MANUAL_ERRNOS[-1] == "812"
    assert set(MANUAL_ERRNOS) == set(parse.ERRNOS)


@pytest.mark.parametrize("errno", MANUAL_ERRNOS)
def test_every_errno_maps_to_a_readable_error(errno: str) -> None:
    vendor_text = parse.ERRNOS[errno][2]
    body = json.dumps({"success": "false", "errno": errno, "reason": vendor_text}).encode()
    with pytest.raises(ProviderError) as caught:
        parse.check_action(body)
    err = caught.value
    assert type(err) is EXPECTED.get(errno, ProviderRefusedError)
    assert err.code == errno
    assert err.message.startswith("VoIPSUN PBX")
    assert f'"{vendor_text}"' in err.message  # the vendor's own words are quoted
    assert str(err).endswith(f"(code {errno})")


@pytest.mark.parametrize("errno", MANUAL_ERRNOS)
def test_vendor_text_of_the_table_starts_the_documented_reason(errno: str) -> None:
    """Our copy of the vendor text matches the manual's table (up to its first " - ")."""
    line = next(m.group(2) for m in TABLE if m and m.group(1) == errno)
    ours = parse.ERRNOS[errno][2]
    assert line.startswith(ours.rstrip(".")) or ours.startswith(line.split(" - ")[0].rstrip("."))


@pytest.mark.parametrize(
    "name", ["error_100.json", "error_200.json", "error_300.json", "error_301.json"]
)
def test_the_manuals_error_replies(name: str) -> None:
    body = fixture(name)
    errno = json.loads(body)["errno"]
    with pytest.raises(ProviderError) as caught:
        parse.read_reply(body)
    assert caught.value.code == errno
    assert type(caught.value) is EXPECTED.get(errno, ProviderRefusedError)
    assert json.loads(body)["reason"] in caught.value.message


def test_unknown_errno_is_a_refusal_quoting_the_pbx() -> None:
    with pytest.raises(ProviderRefusedError) as caught:
        parse.check_action(b'{"success":"false","errno":"999","reason":"Planet not found"}')
    assert caught.value.code == "999"
    assert '"Planet not found"' in caught.value.message


def test_error_without_reason_uses_the_manuals_text() -> None:
    with pytest.raises(ProviderNotFoundError) as caught:
        parse.check_action(b'{"success":"false","errno":"600"}')
    assert "Queue FrontaABC not found!" in caught.value.message


def test_hostile_reason_is_bounded_and_printable() -> None:
    reason = "x\u0000\u001b[31m" + "y" * 5000
    body = json.dumps({"success": "false", "errno": "120", "reason": reason}).encode()
    with pytest.raises(ProviderRefusedError) as caught:
        parse.check_action(body)
    assert len(caught.value.message) < 400
    assert "\u0000" not in caught.value.message
    assert "\u001b" not in caught.value.message
