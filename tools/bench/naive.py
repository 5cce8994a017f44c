"""The naive poll DESIGN §10 compares against: every poll rewrites the whole snapshot into
the state rows and pushes the whole board re-rendered. Same adapter, same parse and
normalise, same row writer (``store.update_rows``), same transaction and push path; only
the diff is missing.

(It writes no history, which flatters it: a naive history would add a sample per queue and
agent per poll.)
"""

from __future__ import annotations

from django.db import transaction

from providers.base import Provider
from tools.bench.harness import full_board_html
from wallboard.live.push import account_group, send_to_group
from wallboard.monitoring import models as m
from wallboard.monitoring.current import AGENT_FIELDS, QUEUE_FIELDS, agent_values, queue_values
from wallboard.monitoring.diff import State, normalise
from wallboard.monitoring.rows import update_rows


def _publish_full_board(account_pk: int) -> None:
    account = m.ProviderAccount.objects.get(pk=account_pk)
    html = full_board_html(account)
    send_to_group(
        account_group(account_pk),
        {"type": "board.update", "account": account_pk, "seq": account.seq, "html": html},
    )


def _rewrite(account: m.ProviderAccount, state: State) -> None:
    queues = {q.vendor_id: q for q in m.Queue.objects.filter(account=account)}
    new_queues: list[m.Queue] = []
    for vid, qs in state.queues.items():
        values = queue_values(qs)
        queue = queues.get(vid)
        if queue is None:
            queues[vid] = queue = m.Queue(account=account, vendor_id=vid, **values)
            new_queues.append(queue)
        else:
            for name, value in values.items():
                setattr(queue, name, value)
    m.Queue.objects.bulk_create(new_queues)
    update_rows(m.Queue, [q for q in queues.values() if q.pk], QUEUE_FIELDS)

    agents = {a.vendor_id: a for a in m.Agent.objects.filter(account=account)}
    new_agents: list[m.Agent] = []
    for vid, agent in state.agents.items():
        values = agent_values(agent)
        row = agents.get(vid)
        if row is None:
            agents[vid] = row = m.Agent(account=account, vendor_id=vid, **values)
            new_agents.append(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
    m.Agent.objects.bulk_create(new_agents)
    update_rows(m.Agent, [a for a in agents.values() if a.pk], AGENT_FIELDS)

    m.Membership.objects.filter(agent__account=account).delete()
    m.Membership.objects.bulk_create(
        m.Membership(
            agent=agents[ms.agent_id],
            queue=queues[ms.queue_id],
            penalty=ms.penalty,
            static=ms.static,
            logged_in=ms.logged_in,
        )
        for ms in state.memberships.values()
        if ms.agent_id in agents and ms.queue_id in queues
    )
    m.WaitingCall.objects.filter(queue__account=account).delete()
    m.WaitingCall.objects.bulk_create(
        m.WaitingCall(
            queue=queues[qid],
            position=w.position,
            caller=w.caller,
            caller_name=w.caller_name or "",
            waiting_since=w.waiting_since,
            call_id=w.call_id or "",
        )
        for qid, calls in state.waiting.items()
        if qid in queues
        for w in calls
    )
    m.ActiveCall.objects.filter(account=account).delete()
    m.ActiveCall.objects.bulk_create(
        m.ActiveCall(
            account=account,
            call_id=c.call_id,
            agent=agents.get(c.agent_id) if c.agent_id else None,
            queue=queues.get(c.queue_id) if c.queue_id else None,
            direction=c.direction.value if c.direction else "",
            number=c.number,
            state=c.state.value,
            since=c.since,
            channel=c.channel or "",
        )
        for c in state.active.values()
    )
    m.PauseReason.objects.filter(account=account).delete()
    m.PauseReason.objects.bulk_create(
        m.PauseReason(
            account=account, vendor_id=p.id, title=p.title, type=p.type.value, paid=p.paid
        )
        for p in state.pauses.values()
    )


def naive_poll(account: m.ProviderAccount, provider: Provider) -> None:
    snapshot = provider.fetch_snapshot()
    with transaction.atomic():
        acc = m.ProviderAccount.objects.select_for_update().get(pk=account.pk)
        _rewrite(acc, normalise(snapshot, State()))
        acc.seq += 1
        acc.last_success_at = acc.last_attempt_at = snapshot.taken_at
        acc.save(update_fields=["seq", "last_success_at", "last_attempt_at"])
        pk = acc.pk
        transaction.on_commit(lambda: _publish_full_board(pk))
