"""The audit log through the API holds the rows the audit page shows the same person, in
the same order, and takes the page's filters (plus a time range)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.wallboard.api.conftest import CallCenter, items
from wallboard.actions.models import AuditEntry
from wallboard.monitoring.models import ActiveCall

pytestmark = [pytest.mark.services, pytest.mark.django_db]

ROW = re.compile(
    r'<tr class="(?:ok|error)"><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>[^<]*</td>'
    r"<td>([^<]*)</td><td>([^<]*)</td>"
)


def _act(client: Client, center: CallCenter, action: str, **data: Any) -> int:
    return client.post(f"/actions/{center.account.pk}/{action}/", data).status_code


@pytest.fixture
def logged(center: CallCenter) -> CallCenter:
    """Pauses and hang-ups by the admin, in Billing and in Support, and a refused try by the
    queue-scoped supervisor."""
    admin, scoped = center.people["admin"].browser, center.people["scoped"].browser
    reason = center.account.pause_reasons.exclude(type="wrap").first()
    assert reason is not None
    for login in ("novak", "marek"):
        assert _act(admin, center, "pause", agent=center.agent(login).pk, reason=reason.pk) == 200
    call = ActiveCall.objects.filter(account=center.account, agent__login="zeman").first()
    assert call is not None
    assert _act(admin, center, "hangup", call=call.pk) == 200
    zielinski = center.agent("zielinski")
    assert _act(scoped, center, "pause", agent=zielinski.pk, reason=reason.pk) == 403
    return center


def _page_rows(center: CallCenter, role: str, **query: str) -> list[tuple[str, str, str]]:
    page = center.people[role].page("/audit/", query)
    return [tuple(html.unescape(cell) for cell in row) for row in ROW.findall(page)]  # type: ignore[misc]


def _api_rows(center: CallCenter, role: str, **query: Any) -> list[tuple[str, str, str]]:
    entries = items(center.people[role].get("/api/v1/audit", query))
    return [(e["username"], e["action"], e["target"]) for e in entries]


@pytest.mark.parametrize("role", ["admin", "supervisor", "scoped"])
def test_the_entries_are_the_audit_pages(logged: CallCenter, role: str) -> None:
    rows = _api_rows(logged, role)
    assert rows == _page_rows(logged, role)
    assert rows
    if role == "scoped":
        # marek's pause and zeman's call are in Support; novak's pause is not; their own try is.
        assert len(rows) == 3
        novak = f"agent {logged.agent('novak').vendor_id} "
        assert not any(target.startswith(novak) for _who, _what, target in rows)
        marek = f"agent {logged.agent('marek').vendor_id} "
        assert any(target.startswith(marek) for _who, _what, target in rows)


@pytest.mark.parametrize(
    "query",
    [
        {"action": "pause"},
        {"action": "hangup"},
        {"outcome": "ok"},
        {"outcome": "failed"},
        {"user": "TEA"},
    ],
)
def test_the_filters_are_the_pages(logged: CallCenter, query: dict[str, str]) -> None:
    for role in ("admin", "scoped"):
        assert _api_rows(logged, role, **query) == _page_rows(logged, role, **query)


def test_an_entry_reads_as_stored_newest_first(logged: CallCenter) -> None:
    entries = items(logged.people["admin"].get("/api/v1/audit"))
    newest = AuditEntry.objects.order_by("-created_at", "-pk").first()
    assert newest is not None
    first = entries[0]
    assert first["id"] == newest.pk
    assert first["params"] == newest.params
    assert first["ok"] is newest.ok
    assert first["account_id"] == logged.account.pk
    stamps = [e["created_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    for entry in entries:
        assert "pin" not in entry["params"]


def test_a_time_range_and_an_account(logged: CallCenter) -> None:
    admin = logged.people["admin"]
    AuditEntry.objects.filter(action="hangup").update(created_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = items(admin.get("/api/v1/audit", {"since": since}))
    assert {e["action"] for e in recent} == {"pause"}
    older = items(admin.get("/api/v1/audit", {"until": since}))
    assert {e["action"] for e in older} == {"hangup"}
    assert items(admin.get("/api/v1/audit", {"account": logged.other.pk})) == []
    scoped = logged.people["scoped"]
    assert scoped.get("/api/v1/audit", {"account": logged.other.pk}).status_code == 404
