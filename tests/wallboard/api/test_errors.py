"""Errors are JSON with a readable ``detail``: 400 for a parameter that is not what the
operation takes, 401 without a good token, 403 for what a role never reads, 404 for what
does not exist or is not the caller's to see, and never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wallboard.api.conftest import CallCenter, Person
from wallboard.api.api import api

pytestmark = [pytest.mark.services, pytest.mark.django_db]

HUGE = "99999999999999999999"
NOT_IDS = ["abc", "²", "١٢٣", "0", "-1", " 1", "+1", "1.0", "1e3", "1_0", HUGE, "%00"]


def _operations() -> list[str]:
    return list(api.get_openapi_schema()["paths"])


def _path(template: str, center: CallCenter, **ids: object) -> str:
    values = {
        "account_id": center.account.pk,
        "queue_id": center.support.pk,
        "agent_id": center.agent("zeman").pk,
        **ids,
    }
    return template.format(**values)


def _error(response: HttpResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@pytest.mark.parametrize("template", _operations())
def test_without_a_token_every_operation_is_401(center: CallCenter, template: str) -> None:
    path = _path(template, center)
    for headers in ({}, {"Authorization": "Basic cm9vdDpwdw=="}, {"Authorization": "Bearer"}):
        response = Client().get(path, headers=headers)
        if template == "/api/v1/openapi.json":
            assert response.status_code == 200
            continue
        body = _error(response, 401)
        assert "Bearer" in response["WWW-Authenticate"]
        assert "Authorization: Bearer" in body["detail"] or "not valid" in body["detail"]


def test_a_wrong_token_is_401_and_says_why(center: CallCenter) -> None:
    good = center.people["admin"].token
    key_part = good[: len("wbt_") + 9]
    for token in ("nonsense", good[:-1], good + "x", key_part + "A" * 43, good.upper()):
        response = Client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
        body = _error(response, 401)
        assert body["detail"] == "This API token is not valid: mistyped, or revoked."
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_wrong_token_beside_a_session_is_still_401(center: CallCenter) -> None:
    browser = center.people["admin"].browser
    path = f"/api/v1/accounts/{center.account.pk}/state"
    assert browser.get(path).status_code == 200
    _error(browser.get(path, headers={"Authorization": "Bearer wbt_x"}), 401)
    # Only the state URL is the pages' own: the rest needs a token.
    _error(browser.get("/api/v1/accounts"), 401)


@pytest.mark.parametrize("text", NOT_IDS)
def test_an_id_that_is_no_id_is_400_naming_the_parameter(center: CallCenter, text: str) -> None:
    admin = center.people["admin"]
    cases = [
        (f"/api/v1/accounts/{text}", {}, "account_id"),
        (f"/api/v1/accounts/{text}/state", {}, "account_id"),
        (
            _path("/api/v1/accounts/{account_id}/agents/{agent_id}", center, agent_id=text),
            {},
            "agent_id",
        ),
        (_path("/api/v1/accounts/{account_id}/agents", center), {"queue": text}, "queue"),
        (
            _path("/api/v1/accounts/{account_id}/history/agent-spans", center),
            {"agent": text},
            "agent",
        ),
        ("/api/v1/audit", {"account": text}, "account"),
    ]
    for path, query, parameter in cases:
        body = _error(admin.get(path, query), 400)
        assert [e["parameter"] for e in body["errors"]] == [parameter], (path, body)
        assert parameter in body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"day": "2026-13-01"}, "day"),
        ({"day": "yesterday"}, "day"),
        ({"day": "20261122"}, "day"),
        ({"day": "1700000000"}, "day"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_days_and_pages_are_400(
    center: CallCenter, query: dict[str, str], parameter: str
) -> None:
    path = _path("/api/v1/accounts/{account_id}/history/queue-samples", center)
    body = _error(center.people["admin"].get(path, query), 400)
    assert [e["parameter"] for e in body["errors"]] == [parameter]


def test_a_day_outside_the_history_kept_is_400_saying_which_are(center: CallCenter) -> None:
    path = _path("/api/v1/accounts/{account_id}/history/agent-spans", center)
    for day in ("2000-01-01", "2099-01-01"):
        body = _error(center.people["admin"].get(path, {"day": day}), 400)
        assert body["detail"].startswith("Bad parameters: day: History is kept from ")
        assert [e["parameter"] for e in body["errors"]] == ["day"]


@pytest.mark.parametrize(
    "query",
    [
        {"action": "explode"},
        {"outcome": "maybe"},
        {"since": "2026-11-22T08:00:00"},  # no time zone: which 08:00?
        {"until": "soon"},
        {"user": "a\x00b"},
        {"user": "x" * 151},
    ],
)
def test_bad_audit_filters_are_400(center: CallCenter, query: dict[str, str]) -> None:
    body = _error(center.people["admin"].get("/api/v1/audit", query), 400)
    assert [e["parameter"] for e in body["errors"]] == list(query)


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_history_and_audit_are_403_for_agents_and_viewers_whatever_the_id(
    center: CallCenter, role: str
) -> None:
    someone: Person = center.people[role]
    for account_id in (center.account.pk, center.other.pk, 999_999):
        for kind in ("queue-samples", "agent-spans"):
            body = _error(someone.get(f"/api/v1/accounts/{account_id}/history/{kind}"), 403)
            assert body["detail"] == "The history is for supervisors and admins."
    body = _error(someone.get("/api/v1/audit"), 403)
    assert body["detail"] == "The audit log is for supervisors and admins."


def test_an_unknown_api_url_is_a_json_404(center: CallCenter) -> None:
    admin = center.people["admin"]
    for path in ("/api/v1/", "/api/v1/nothing", "/api/v1/accounts/1/nothing", "/api/v2/"):
        response = admin.get(path)
        if path.startswith("/api/v1/"):
            _error(response, 404)
        else:
            assert response.status_code == 404


def test_errors_follow_the_callers_language(center: CallCenter) -> None:
    admin = center.people["admin"]
    body = _error(admin.get("/api/v1/accounts/999999", **{"Accept-Language": "pl"}), 404)
    assert body["detail"] != "There is no account 999999 that you may see."
    assert "999999" in body["detail"]


# Text a client can put in a URL (no lone surrogates), weighted towards what breaks ids.
hostile = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.from_regex(r"\A[0-9]{10,30}\Z"),
    st.integers().map(str),
    st.sampled_from([*NOT_IDS, "\x00", "2026-11-22", "2026-02-30", "2026-11-22T08:00:00Z"]),
)
QUERIES = [
    ("/api/v1/accounts", ("limit", "offset")),
    ("/api/v1/accounts/{account_id}/agents", ("queue", "status", "limit", "offset")),
    ("/api/v1/accounts/{account_id}/history/queue-samples", ("day", "queue", "limit")),
    ("/api/v1/accounts/{account_id}/history/agent-spans", ("day", "agent", "offset")),
    ("/api/v1/audit", ("account", "action", "user", "outcome", "since", "until")),
]


@pytest.mark.parametrize(("template", "names"), QUERIES)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(hostile, min_size=1, max_size=4))
def test_any_text_in_a_query_is_an_answer_not_a_server_error(
    center: CallCenter, template: str, names: tuple[str, ...], values: list[str]
) -> None:
    query = {name: values[i % len(values)] for i, name in enumerate(names)}
    response = center.people["admin"].get(_path(template, center), query)
    assert response.status_code in (200, 400, 404), (template, query, response.content)
    assert "detail" in response.json() or response.status_code == 200


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile.filter(lambda t: "/" not in t and "?" not in t and "#" not in t))
def test_any_text_as_a_path_id_is_an_answer_not_a_server_error(
    center: CallCenter, text: str
) -> None:
    from urllib.parse import quote

    for template in ("/api/v1/accounts/{}", "/api/v1/accounts/{}/state"):
        response = center.people["admin"].get(template.format(quote(text, safe="")))
        assert response.status_code in (200, 400, 404), (text, response.content)
        assert response.json()
