"""The contract every vendor adapter keeps, as a mix-in for pytest classes.

A vendor's test module supplies two factories and inherits the checks::

    class TestDaktelaContract(ProviderContract):
        def make_provider(self, handler):
            client = httpx.Client(transport=httpx.MockTransport(handler))
            return DaktelaProvider(config, client=client)

        def fixture_handler(self):
            return handler_answering_each_url_with_a_recorded_vendor_reply

``make_provider(handler)`` builds the adapter on an ``httpx.MockTransport(handler)`` — HTTP is
the only thing mocked. ``fixture_handler()`` answers every request the adapter makes with the
vendor's recorded sample replies (``tests/providers/<vendor>/fixtures/``).

The checks: the snapshot has the right shape (types, unique ids, memberships and calls that
point at listed agents and queues, statuses from ``AgentStatus``, aware UTC times); two fetches
of the same replies give equal snapshots (``taken_at`` aside); and garbage replies raise only
``ProviderError`` subclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from providers.base import Capability, ConfigField, Provider
from providers.errors import ProviderError
from providers.model import (
    ActiveCall,
    Agent,
    AgentStatus,
    Endpoint,
    Membership,
    PauseReason,
    Queue,
    Snapshot,
    WaitingCall,
)

Handler = Callable[[httpx.Request], httpx.Response]

#: Bodies no vendor should send; every adapter must turn them into a ProviderError.
GARBAGE_BODIES: tuple[bytes, ...] = (
    b"",
    b"\x00\xff\xfe garbage",
    b"<html><body>502 Bad Gateway</body></html>",
    b"{",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b'{"unexpected": true}',
    b"[" * 100_000,
    b'{"status":1,"error":null,"result":"not an object"}',
    b'{"success":"true","data":[1,2,3]}',
)


def _is_utc(value: datetime | None) -> bool:
    return value is None or (value.tzinfo is not None and value.utcoffset() == timedelta(0))


class ProviderContract:
    """Mix-in: subclasses implement the two factories; the ``test_*`` methods are the contract."""

    # ------------------------------------------------------------------ to supply

    def make_provider(self, handler: Handler) -> Provider:
        raise NotImplementedError

    def fixture_handler(self) -> Handler:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers

    def fetch(self, handler: Handler | None = None) -> Snapshot:
        provider = self.make_provider(handler or self.fixture_handler())
        try:
            return provider.fetch_snapshot()
        finally:
            provider.close()

    @staticmethod
    def iter_garbage() -> Iterator[bytes]:
        yield from GARBAGE_BODIES

    # ------------------------------------------------------------------ declaration

    def test_declares_itself(self) -> None:
        provider = self.make_provider(self.fixture_handler())
        assert provider.vendor
        assert provider.title
        assert all(isinstance(c, Capability) for c in provider.capabilities)
        assert all(isinstance(f, ConfigField) for f in provider.config_fields)
        names = [f.name for f in provider.config_fields]
        assert len(names) == len(set(names))
        for config_field in provider.config_fields:
            if config_field.choices and config_field.default is not None:
                assert config_field.default in config_field.choices
        provider.close()

    # ------------------------------------------------------------------ snapshot shape

    def test_snapshot_shape(self) -> None:
        snapshot = self.fetch()
        assert isinstance(snapshot, Snapshot)
        assert _is_utc(snapshot.taken_at)
        assert snapshot.taken_at is not None
        assert all(isinstance(e, Endpoint) for e in snapshot.failed)
        assert len(snapshot.errors) >= len(snapshot.failed)

        assert all(isinstance(q, Queue) for q in snapshot.queues)
        assert all(isinstance(a, Agent) for a in snapshot.agents)
        assert all(isinstance(m, Membership) for m in snapshot.memberships)
        assert all(isinstance(w, WaitingCall) for w in snapshot.waiting_calls)
        assert all(isinstance(c, ActiveCall) for c in snapshot.active_calls)
        assert all(isinstance(p, PauseReason) for p in snapshot.pause_reasons)

        queue_ids = [q.id for q in snapshot.queues]
        agent_ids = [a.id for a in snapshot.agents]
        assert len(queue_ids) == len(set(queue_ids)), "queue ids must be unique"
        assert len(agent_ids) == len(set(agent_ids)), "agent ids must be unique"
        assert all(isinstance(i, str) and i for i in queue_ids + agent_ids)
        pairs = [(m.agent_id, m.queue_id) for m in snapshot.memberships]
        assert len(pairs) == len(set(pairs)), "one membership per agent and queue"
        call_ids = [c.call_id for c in snapshot.active_calls]
        assert len(call_ids) == len(set(call_ids)), "active call ids must be unique"
        positions = [(w.queue_id, w.position) for w in snapshot.waiting_calls]
        assert len(positions) == len(set(positions)), "one caller per queue position"
        assert all(w.position >= 1 for w in snapshot.waiting_calls)

        if Endpoint.AGENTS not in snapshot.failed:
            assert {m.agent_id for m in snapshot.memberships} <= set(agent_ids)
        if Endpoint.QUEUES not in snapshot.failed:
            assert {m.queue_id for m in snapshot.memberships} <= set(queue_ids)
            assert {w.queue_id for w in snapshot.waiting_calls} <= set(queue_ids)

        for agent in snapshot.agents:
            assert isinstance(agent.status, AgentStatus)
            assert isinstance(agent.raw_status, str)
            assert _is_utc(agent.status_since)
        for call in snapshot.active_calls:
            assert isinstance(call.state, AgentStatus)
            assert _is_utc(call.since)
        for queue in snapshot.queues:
            for value in (queue.calls_waiting, queue.longest_wait_s, queue.agents_total):
                assert value is None or (isinstance(value, int) and value >= 0)

    def test_snapshot_is_not_empty_for_the_recorded_replies(self) -> None:
        snapshot = self.fetch()
        assert not snapshot.failed, snapshot.errors
        assert snapshot.queues or snapshot.agents

    def test_equal_replies_give_equal_snapshots(self) -> None:
        first = self.fetch()
        second = self.fetch()
        assert dataclasses.replace(first, taken_at=second.taken_at) == second

    # ------------------------------------------------------------------ hostile replies

    def test_garbage_replies_raise_only_provider_errors(self) -> None:
        for body in self.iter_garbage():

            def handler(request: httpx.Request, body: bytes = body) -> httpx.Response:
                return httpx.Response(200, content=body)

            try:
                snapshot = self.fetch(handler)
            except ProviderError:
                continue
            # Not raising is allowed only if the adapter says which parts it could not read.
            assert snapshot.failed, f"garbage {body[:40]!r} produced a clean snapshot"

    @pytest.mark.parametrize("status", [500, 502, 503, 404, 401])
    def test_http_failures_raise_provider_errors(self, status: int) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, content=b"nope")

        with pytest.raises(ProviderError):
            self.fetch(handler)

    def test_network_failure_raises_provider_error(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        with pytest.raises(ProviderError):
            self.fetch(handler)
