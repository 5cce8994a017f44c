"""Store writes: ``update_rows`` writes exactly the named fields of exactly the given rows,
``insert_rows`` and ``delete_rows`` are one statement each, an agent's status change closes
its open span and opens the next, and the rows a delta names are built from the known state
and pks instead of read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.model import Agent as AgentState
from providers.model import AgentStatus
from providers.model import Queue as QueueReading
from wallboard.monitoring.current import RowIds, write_delta
from wallboard.monitoring.diff import Delta, QueueState, State, apply
from wallboard.monitoring.models import (
    ActiveCall,
    Agent,
    AgentStatusSpan,
    ProviderAccount,
    Queue,
    WaitingCall,
)
from wallboard.monitoring.rows import delete_rows, insert_rows, update_rows

pytestmark = pytest.mark.django_db

SINCE = datetime(2026, 11, 22, 8, 30, 15, 250_000, tzinfo=UTC)


@pytest.fixture
def account() -> ProviderAccount:
    return ProviderAccount.objects.create(name="Main", vendor="daktela", base_url="http://x")


def test_values_of_every_type_and_null_round_trip(account: ProviderAccount) -> None:
    queues = [
        Queue.objects.create(account=account, vendor_id=str(i), name=f"Q{i}", calls_waiting=9)
        for i in range(3)
    ]
    queues[0].calls_waiting, queues[0].longest_wait_since = 2, SINCE
    queues[0].service_level_pct = 87.5
    queues[1].calls_waiting, queues[1].service_level_pct = None, None
    queues[1].longest_wait_since = None
    queues[1].name = 'Fronta "A", {B} \\ C — Ž'

    with CaptureQueriesContext(connection) as queries:
        update_rows(
            Queue, queues[:2], ["name", "calls_waiting", "longest_wait_since", "service_level_pct"]
        )

    assert len(queries.captured_queries) == 1
    stored = {q.vendor_id: q for q in Queue.objects.all()}
    assert (stored["0"].calls_waiting, stored["0"].longest_wait_since) == (2, SINCE)
    assert stored["0"].service_level_pct == 87.5
    assert stored["1"].calls_waiting is None
    assert stored["1"].service_level_pct is None
    assert stored["1"].name == 'Fronta "A", {B} \\ C — Ž'
    assert (stored["2"].name, stored["2"].calls_waiting) == ("Q2", 9)  # not given: untouched


def test_one_row_is_a_plain_update_of_the_same_values(account: ProviderAccount) -> None:
    queue = Queue.objects.create(
        account=account, vendor_id="1", name="Q", calls_waiting=9, service_level_pct=50.0
    )
    queue.calls_waiting, queue.service_level_pct = None, None
    queue.name, queue.longest_wait_since = 'Fronta "A", {B} \\ C — Ž', SINCE

    with CaptureQueriesContext(connection) as queries:
        update_rows(
            Queue, [queue], ["name", "calls_waiting", "longest_wait_since", "service_level_pct"]
        )

    [query] = queries.captured_queries
    assert "unnest" not in query["sql"]
    stored = Queue.objects.get()
    assert (stored.calls_waiting, stored.service_level_pct) == (None, None)
    assert (stored.name, stored.longest_wait_since) == ('Fronta "A", {B} \\ C — Ž', SINCE)


def test_only_the_named_fields_are_written(account: ProviderAccount) -> None:
    agent = Agent.objects.create(account=account, vendor_id="1", name="Jan", status="IDLE")
    agent.status, agent.name, agent.pause_reason = "PAUSED", "Renamed", ""
    Agent.objects.filter(pk=agent.pk).update(login="jan")

    update_rows(Agent, [agent], ["status", "pause_reason"])

    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.status, stored.pause_reason) == ("PAUSED", "")
    assert (stored.name, stored.login) == ("Jan", "jan")


def test_no_rows_sends_nothing(account: ProviderAccount) -> None:
    with CaptureQueriesContext(connection) as queries:
        update_rows(Agent, [], ["status"])
    assert queries.captured_queries == []


def test_inserted_rows_hold_every_value_and_null(account: ProviderAccount) -> None:
    queue = Queue.objects.create(account=account, vendor_id="1", name="Q")
    rows = [
        WaitingCall(queue=queue, position=1, caller="+420 601", caller_name="Jan"),
        WaitingCall(queue=queue, position=2, caller="", waiting_since=None, call_id="c-2"),
    ]
    rows[0].waiting_since = SINCE
    with CaptureQueriesContext(connection) as queries:
        insert_rows(WaitingCall, rows)
    assert len(queries.captured_queries) == 1
    stored = WaitingCall.objects.order_by("position").values_list(
        "queue_id", "position", "caller", "caller_name", "waiting_since", "call_id"
    )
    assert list(stored) == [
        (queue.pk, 1, "+420 601", "Jan", SINCE, ""),
        (queue.pk, 2, "", "", None, "c-2"),
    ]


def test_deleted_rows_are_only_those_matched_and_say_what_they_held(
    account: ProviderAccount,
) -> None:
    other = ProviderAccount.objects.create(name="Other", vendor="daktela", base_url="http://y")
    agent = Agent.objects.create(account=account, vendor_id="1", name="Jan")
    for owner, call_id, on in [(account, "a", agent), (account, "b", None), (account, "c", None),
                               (other, "a", None)]:  # fmt: skip
        ActiveCall.objects.create(account=owner, call_id=call_id, agent=on, state="BUSY")
    with CaptureQueriesContext(connection) as queries:
        gone = delete_rows(
            ActiveCall, "call_id", ["a", "b"], where=("account", account.pk), returning="agent"
        )
    assert len(queries.captured_queries) == 1
    assert gone == [agent.pk]  # the call on no agent is deleted, and says nothing
    left = ActiveCall.objects.order_by("account_id", "call_id").values_list("account_id", "call_id")
    assert list(left) == [(account.pk, "c"), (other.pk, "a")]


def _spans() -> list[tuple[str, str, datetime, datetime | None]]:
    return list(
        AgentStatusSpan.objects.order_by("started_at", "pk").values_list(
            "agent__vendor_id", "status", "started_at", "ended_at"
        )
    )


def test_a_status_change_closes_only_the_open_span_as_a_hot_update(
    account: ProviderAccount,
) -> None:
    jan = AgentState(id="1", login="jan", name="Jan", status=AgentStatus.IDLE, raw_status="idle")
    eva = dataclasses.replace(jan, id="2", login="eva", name="Eva")
    t0, t1, t2 = SINCE, SINCE + timedelta(minutes=1), SINCE + timedelta(minutes=2)
    write_delta(account, Delta(agents={"1": jan, "2": eva}), t0)
    paused = dataclasses.replace(jan, status=AgentStatus.PAUSED, status_since=t1)
    write_delta(account, Delta(agents={"1": paused}), t1)
    write_delta(account, Delta(agents={"1": dataclasses.replace(jan, status_since=t2)}), t2)

    assert _spans() == [
        ("1", "IDLE", t0, t1),
        ("2", "IDLE", t0, None),
        ("1", "PAUSED", t1, t2),
        ("1", "IDLE", t2, None),
    ]
    # No index covers ended_at, so PostgreSQL rewrote no index entry for the two closes.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [AgentStatusSpan._meta.db_table],
        )
        assert cursor.fetchone() == (2, 2)


def _sales(calls_waiting: int) -> QueueState:
    return QueueState(QueueReading(id="q1", name="Sales", calls_waiting=calls_waiting), None)


def test_rows_the_known_state_holds_are_written_without_being_read(
    account: ProviderAccount,
) -> None:
    jan = AgentState(id="1", login="jan", name="Jan", status=AgentStatus.IDLE, raw_status="idle")
    first = Delta(queues={"q1": _sales(0)}, agents={"1": jan})
    created = write_delta(account, first, SINCE, known=(State(), RowIds()))
    stored = apply(State(), first)
    assert created.ids == RowIds(
        queues={"q1": Queue.objects.get().pk}, agents={"1": Agent.objects.get().pk}
    )
    Agent.objects.update(pin="4321")  # an admin's, outside any state

    paused = dataclasses.replace(jan, status=AgentStatus.PAUSED, status_since=SINCE)
    second = Delta(queues={"q1": _sales(2)}, agents={"1": paused})
    with CaptureQueriesContext(connection) as captured:
        changes = write_delta(account, second, SINCE, known=(stored, created.ids))
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if 'monitoring_agent"' in sql or 'monitoring_queue"' in sql]
    assert changes.ids is created.ids  # nothing created or deleted: the same pks
    assert (Agent.objects.get().status, Queue.objects.get().calls_waiting) == ("PAUSED", 2)
    assert changes.queue_changes == {Queue.objects.get().pk: frozenset({"calls_waiting"})}
    [row] = changes.agents
    assert (row.pk, row.name, row.pin) == (Agent.objects.get().pk, "Jan", "4321")


def test_a_write_sets_only_the_columns_that_changed(account: ProviderAccount) -> None:
    jan = AgentState(id="1", login="jan", name="Jan", status=AgentStatus.IDLE, raw_status="idle")
    first = Delta(queues={"q1": _sales(0)}, agents={"1": jan})
    created = write_delta(account, first, SINCE, known=(State(), RowIds()))
    stored = apply(State(), first)

    paused = dataclasses.replace(jan, status=AgentStatus.PAUSED, raw_status="paused")
    second = Delta(queues={"q1": _sales(2)}, agents={"1": paused})
    with CaptureQueriesContext(connection) as captured:
        write_delta(account, second, SINCE, known=(stored, created.ids))
    updates = {
        table: sql
        for q in captured.captured_queries
        if (sql := q["sql"]).startswith("UPDATE")
        and (table := sql.split('"')[1]) in ("monitoring_queue", "monitoring_agent")
    }
    assert '"calls_waiting"' in updates["monitoring_queue"]
    assert '"name"' not in updates["monitoring_queue"]
    assert '"agents_ready"' not in updates["monitoring_queue"]
    assert '"status"' in updates["monitoring_agent"]
    assert '"raw_status"' in updates["monitoring_agent"]
    assert '"login"' not in updates["monitoring_agent"]
    assert (Agent.objects.get().status, Queue.objects.get().calls_waiting) == ("PAUSED", 2)
    assert (Agent.objects.get().name, Queue.objects.get().name) == ("Jan", _sales(0).queue.name)


def test_a_queue_deleted_and_made_again_is_known_by_its_new_row(
    account: ProviderAccount,
) -> None:
    first = Delta(queues={"q1": _sales(0)})
    ids = write_delta(account, first, SINCE, known=(State(), RowIds())).ids
    stored = apply(State(), first)
    gone = Delta(queues={"q1": None})
    ids = write_delta(account, gone, SINCE, known=(stored, ids)).ids
    assert ids == RowIds()
    stored = apply(stored, gone)

    again = Delta(queues={"q1": _sales(1)})
    ids = write_delta(account, again, SINCE, known=(stored, ids)).ids
    assert ids == RowIds(queues={"q1": Queue.objects.get().pk})
