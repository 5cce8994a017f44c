"""Provider text in the CSV exports cannot become a spreadsheet formula, whichever way a
reader splits lines (issue 15, finding 6): a vendor's agent or queue name holding a bare CR
or LF followed by a formula is exported as one harmless cell."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import Sim, make_account
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db]

AGENT_NAME = "Eva\r=cmd|' /C calc'!A0"
QUEUE_NAME = 'Support\n+HYPERLINK("http://x")'
FORMULA = ("=", "+", "-", "@")


def _lines(body: str) -> list[str]:
    """The lines a reader sees that breaks at every CR or LF, quoted or not."""
    return [line for line in re.split(r"\r\n|\r|\n", body) if line]


@pytest.mark.parametrize("export", ["agents", "queues"])
def test_a_line_break_in_provider_text_starts_no_formula(daktela_sim: Sim, export: str) -> None:
    with daktela_sim.engine.locked() as center:
        next(iter(center.agents.values())).name = AGENT_NAME
        next(iter(center.queues.values())).name = QUEUE_NAME
    account = make_account(daktela_sim)
    assert poll(account).ok
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    response = client.get(f"/reports/{account.pk}/{export}.csv")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.endswith("\r\n")
    for line in _lines(body):
        assert not line.lstrip('"').startswith(FORMULA), line
    cells = {cell for row in csv.reader(io.StringIO(body)) for cell in row}
    expected = {"agents": "Eva =cmd|' /C calc'!A0", "queues": 'Support +HYPERLINK("http://x")'}
    assert expected[export] in cells


def test_a_formula_at_the_start_of_provider_text_is_quoted(daktela_sim: Sim) -> None:
    with daktela_sim.engine.locked() as center:
        next(iter(center.agents.values())).name = "=1+1"
    account = make_account(daktela_sim)
    assert poll(account).ok
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    body = client.get(f"/reports/{account.pk}/agents.csv").content.decode()
    names = [row["name"] for row in csv.DictReader(io.StringIO(body))]
    assert "'=1+1" in names
