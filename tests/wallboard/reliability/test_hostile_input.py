"""Hostile vendor replies end to end: entity bombs and external entities, oversized
bodies, wrong types in every field, replayed and out-of-order replies. Whatever the vendor
sends, a poll either stores well-typed data or marks the account stale; nothing stored is
lost, and an old reply played again moves nothing backwards."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from providers.errors import ProviderError
from providers.http import MAX_REPLY_BYTES
from providers.model import AgentStatus, Snapshot
from providers.sim.server import SimResponse
from tests.wallboard.reliability.conftest import VENDORS, Watched, stored
from wallboard.monitoring.models import Agent, AgentStatusSpan

# Each poll's transaction nests in the test's, which is rolled back (no table flush per
# test); what a poll publishes on commit is not under test here.
pytestmark = [pytest.mark.services, pytest.mark.django_db]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE response [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<response><status>1</status><result><item><id>1</id><title>&e;</title></item></result></response>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE response [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<response><status>1</status><result><item><id>1</id><title>&secret;</title></item></result></response>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE response SYSTEM "http://127.0.0.1:9/evil.dtd">
<response><status>1</status><result/></response>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
@pytest.mark.parametrize("vendor", ["spikon", "daktela"])
def test_entity_tricks_in_xml_are_refused(
    watch: Callable[..., Watched], vendor: str, body: bytes
) -> None:
    watched = watch(vendor, format="xml")
    before = stored(watched.account)
    watched.sim.server.faults.body = body
    result = watched.poll()
    assert not result.ok
    account = watched.fresh()
    assert account.stale
    assert "root:" not in account.last_error
    assert "aaaaaaaaaa" not in account.last_error
    assert stored(watched.account) == before
    watched.sim.server.faults.clear()
    assert watched.poll().ok


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_reply_over_the_size_cap_is_refused(watch: Callable[..., Watched], vendor: str) -> None:
    watched = watch(vendor)
    before = stored(watched.account)
    huge = b'{"status":1,"result":[' + b'"x",' * (10 * 1024 * 1024 // 4) + b'"x"]}'
    assert len(huge) > 2 * MAX_REPLY_BYTES
    watched.sim.server.faults.body = huge
    result = watched.poll()
    assert not result.ok
    assert "larger than 5 MB" in watched.fresh().last_error
    assert stored(watched.account) == before
    watched.sim.server.faults.clear()
    assert watched.poll().ok


# ---------------------------------------------------------------- wrong types

WRONG_VALUES: tuple[object, ...] = (None, True, -1, 1e308, "", "x" * 300, [], {"a": 1}, [[[]]])


def _keys(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _json_replies(recorded: dict[str, SimResponse]) -> dict[str, Any]:
    replies = {}
    for key, response in recorded.items():
        try:
            replies[key] = json.loads(response.body)
        except ValueError:
            continue
    return replies


def _check_types(value: object, hint: object) -> None:
    """``value`` is of the annotated type (the model's dataclasses, tuples, unions)."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        errors = []
        for option in typing.get_args(hint):
            try:
                _check_types(value, option)
            except AssertionError as err:
                errors.append(err)
            else:
                return
        raise AssertionError(f"{value!r} is none of {hint}: {errors}")
    if origin in (tuple, frozenset):
        assert isinstance(value, origin), (value, hint)
        item_hint = typing.get_args(hint)[0]
        for item in value:
            _check_types(item, item_hint)
        return
    if hint is type(None):
        assert value is None, value
    elif dataclasses.is_dataclass(hint):
        assert isinstance(value, hint), (value, hint)  # type: ignore[arg-type]
        hints = typing.get_type_hints(hint)
        for f in dataclasses.fields(hint):
            _check_types(getattr(value, f.name), hints[f.name])
    elif hint is float:
        assert isinstance(value, int | float), value
        assert not isinstance(value, bool), value
    elif hint is int:
        assert isinstance(value, int), value
        assert not isinstance(value, bool), value
    elif isinstance(hint, type):
        assert isinstance(value, hint), (value, hint)
        if hint is datetime:
            assert value.tzinfo is not None, value  # type: ignore[attr-defined]


# Field names changed per request: enough to keep the suite quick, few enough that one
# refused field seldom hides another.
FIELDS_PER_REQUEST = 6


def _replace_keys(value: object, wrong: dict[str, object]) -> object:
    if isinstance(value, dict):
        return {k: wrong[k] if k in wrong else _replace_keys(v, wrong) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_keys(item, wrong) for item in value]
    return value


def _replay(replies: dict[str, Any], wrong: dict[str, object]) -> dict[str, SimResponse]:
    return {
        request: SimResponse(body=json.dumps(_replace_keys(reply, wrong)).encode())
        for request, reply in replies.items()
    }


@pytest.mark.parametrize("vendor", VENDORS)
def test_wrong_types_in_every_field(watch: Callable[..., Watched], vendor: str) -> None:
    """Every field name of the vendor's replies, everywhere it occurs, carries a wrong kind
    of value (a few fields per request): the adapter reads a well-typed snapshot or raises a
    ``ProviderError``; a poll with every field wrong at once keeps what is stored."""
    watched = watch(vendor)
    server = watched.sim.server
    server.recording = {}
    watched.provider.fetch_snapshot()
    replies = _json_replies(server.recording)
    server.recording = None
    assert replies, "the vendor answers in JSON"
    keys = sorted({key for reply in replies.values() for key in _keys(reply)})
    wrong = {key: WRONG_VALUES[i % len(WRONG_VALUES)] for i, key in enumerate(keys)}
    outcomes: set[str] = set()
    for start in range(0, len(keys), FIELDS_PER_REQUEST):
        batch = keys[start : start + FIELDS_PER_REQUEST]
        server.faults.replay = _replay(replies, {key: wrong[key] for key in batch})
        try:
            snapshot = watched.provider.fetch_snapshot()
        except ProviderError:
            outcomes.add("refused")
            continue
        _check_types(snapshot, Snapshot)
        outcomes.add("partly read" if snapshot.failed else "read")
    assert "refused" in outcomes or "partly read" in outcomes, outcomes

    before = stored(watched.account)
    server.faults.replay = _replay(replies, wrong)
    result = watched.poll()
    account = watched.fresh()
    assert account.stale or account.stale_parts, result
    assert stored(watched.account) == before
    server.faults.clear()
    assert watched.poll().ok
    assert not watched.fresh().stale


# ---------------------------------------------------------------- replayed replies


def _statuses(watched: Watched) -> dict[str, str]:
    return dict(Agent.objects.filter(account=watched.account).values_list("vendor_id", "status"))


def _same_reply_twice(watched: Watched) -> None:
    server = watched.sim.server
    server.recording = {}
    watched.sim.advance(30)
    assert watched.poll().ok
    server.faults.replay, server.recording = dict(server.recording), None
    before = stored(watched.account)
    for _ in range(2):
        result = watched.poll()
        assert result.ok
        assert result.changes == 0
    assert stored(watched.account) == before


# Committed polls: the poller's in-memory state is what a second identical reply meets.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("vendor", VENDORS)
def test_the_same_reply_twice_changes_nothing(watch: Callable[..., Watched], vendor: str) -> None:
    _same_reply_twice(watch(vendor))


# Uncommitted polls never remember their state in memory: each poll reads it back from the
# database, as a second worker process polling the same account does.
@pytest.mark.parametrize("vendor", VENDORS)
def test_the_same_reply_twice_changes_nothing_for_another_worker(
    watch: Callable[..., Watched], vendor: str
) -> None:
    _same_reply_twice(watch(vendor))


# Only Daktela dates each agent's status (``state_time``). SPIKON's and VoIPSUN's replies
# carry no time or sequence for a status, so an older reply cannot be told from a real change
# back; there only the repeated reply is idempotent (above).
@pytest.mark.parametrize("vendor", ["daktela"])
def test_an_older_reply_played_again_moves_nothing_backwards(
    watch: Callable[..., Watched], vendor: str
) -> None:
    watched = watch(vendor)
    server, engine = watched.sim.server, watched.sim.engine
    server.recording = {}
    assert watched.poll().ok
    older = dict(server.recording)
    server.recording = None
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    watched.sim.advance(5)
    engine.set_status(agent_id, AgentStatus.PAUSED)
    assert watched.poll().ok
    newer, spans = _statuses(watched), AgentStatusSpan.objects.count()
    paused = Agent.objects.get(account=watched.account, login=engine.agents[agent_id].login)
    assert paused.status == AgentStatus.PAUSED

    server.faults.replay = older
    for _ in range(2):
        assert watched.poll().ok
        assert _statuses(watched) == newer
    server.faults.clear()
    assert watched.poll().ok
    assert _statuses(watched) == newer
    assert AgentStatusSpan.objects.count() == spans
