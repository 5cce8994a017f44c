"""Whatever text arrives in a query string, a form field or a URL id, a page answers with
a page or a clear 4xx, never a server error (issue 15, finding 9): ids beyond the
database's range, digits that are not ASCII (``²``, Arabic-Indic), NUL characters, anything."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Sim, make_account
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db]

HUGE = "99999999999999999999"

# Text a browser can put in a URL (no lone surrogates), weighted towards what breaks ids.
hostile = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.from_regex(r"\A[0-9]{10,40}\Z"),
    st.integers().map(str),
    st.sampled_from(["²", "١٢٣", "٣", "-1", "0", " 1", "1e3", "\x00", "1\x00", HUGE]),
)

QUERIES = [
    ("/audit/", ("account", "action", "user", "outcome", "page")),
    ("/board/", ("account", "queue")),
    ("/console/", ("account", "queue")),
    ("/membership/", ("account",)),
    ("/reports/{account}/", ("day", "page")),
    ("/reports/{account}/agents.csv", ("day",)),
    ("/reports/{account}/queues.csv", ("day",)),
]
PATHS = [
    "/console/agent/{id}/",
    "/reports/{id}/",
    "/reports/{id}/agents.csv",
]


@pytest.fixture
def admin(daktela_sim: Sim) -> tuple[Client, ProviderAccount]:
    account = make_account(daktela_sim)
    assert poll(account).ok
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    return client, account


@pytest.mark.parametrize(("url", "names"), QUERIES)
def test_a_huge_id_in_a_query_is_not_a_server_error(
    admin: tuple[Client, ProviderAccount], url: str, names: tuple[str, ...]
) -> None:
    client, account = admin
    response = client.get(url.format(account=account.pk), dict.fromkeys(names, HUGE))
    assert response.status_code < 500


@pytest.mark.parametrize(("url", "names"), QUERIES)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(hostile, min_size=1, max_size=3))
def test_any_text_in_a_query_is_not_a_server_error(
    admin: tuple[Client, ProviderAccount], url: str, names: tuple[str, ...], values: list[str]
) -> None:
    client, account = admin
    query = {name: values[i % len(values)] for i, name in enumerate(names)}
    response = client.get(url.format(account=account.pk), query)
    assert response.status_code < 500, (url, query)


@pytest.mark.parametrize("path", PATHS)
def test_a_huge_id_in_a_path_is_a_404(admin: tuple[Client, ProviderAccount], path: str) -> None:
    client, _account = admin
    assert client.get(path.format(id=HUGE)).status_code == 404


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=hostile,
    field=st.sampled_from(["agent", "reason", "queue", "call", "user", "number", "penalty"]),
)
def test_any_text_in_an_action_form_is_not_a_server_error(
    admin: tuple[Client, ProviderAccount], value: str, field: str
) -> None:
    """The simulator answers what gets through (a valid id can turn up), so a valid form
    is a 200 or the vendor's refusal; what matters is that nothing is a 5xx."""
    client, account = admin
    agent = Agent.objects.filter(account=account).first()
    assert agent is not None
    for action in ("pause", "queue_login", "transfer"):
        data = {"agent": str(agent.pk), "kind": "blind", field: value}
        response = client.post(f"/actions/{account.pk}/{action}/", data)
        assert response.status_code < 500, (action, data, response.content)
    assert client.post(f"/actions/{HUGE}/pause/", {"agent": value}).status_code == 404
