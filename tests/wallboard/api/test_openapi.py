"""The OpenAPI document: public, valid OpenAPI 3.1, every operation behind a token and
declaring its errors; the docs page uses only our own static files."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

pytestmark = [pytest.mark.django_db]

OPERATIONS = {
    "/api/v1/me",
    "/api/v1/accounts",
    "/api/v1/accounts/{account_id}",
    "/api/v1/accounts/{account_id}/state",
    "/api/v1/accounts/{account_id}/queues",
    "/api/v1/accounts/{account_id}/queues/{queue_id}",
    "/api/v1/accounts/{account_id}/agents",
    "/api/v1/accounts/{account_id}/agents/{agent_id}",
    "/api/v1/accounts/{account_id}/history/queue-samples",
    "/api/v1/accounts/{account_id}/history/agent-spans",
    "/api/v1/audit",
}


def test_the_document_is_public_and_valid_openapi_3_1() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert not errors, errors
    assert set(document["paths"]) == OPERATIONS
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_every_operation_needs_a_token_and_declares_its_errors() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    for path, methods in document["paths"].items():
        assert set(methods) == {"get"}, "the API only reads"
        operation = methods["get"]
        assert {"ApiToken": []} in operation["security"]
        expected = {"200", "400", "401", "404"}
        if "/history/" in path or path == "/api/v1/audit":
            expected.add("403")
        if path == "/api/v1/me":
            expected = {"200", "401"}
        assert set(operation["responses"]) == expected, path
    state = document["paths"]["/api/v1/accounts/{account_id}/state"]["get"]
    assert {"SessionAuth": []} in state["security"], "the pages' own JSON"


def test_the_docs_page_loads_only_our_static_files() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(s.startswith("/static/") or s.startswith("data:") for s in sources), sources
    assert "<script>" not in page.replace(" ", ""), "no inline script: the CSP forbids it"
