"""Vendor change feeds as an input beside the poll (ADR 019).

A fed change takes the poll's path: diff against the stored state (``diff_agents``, the
poll's own normalisation and comparison), store (``write_delta``: rows, status spans), bump
``seq``, and hand one ``Committed`` (``source="feed"``) to the caller's hook after the
commit: the wiring's push, alerts and notifications follow as for a poll. A reading that a
poll already stored writes nothing, and a poll of what a feed stored writes nothing.

Who runs a feed: a ``FeedSupervisor`` (``manage.py watch``, and a thread of the one-process
modes). It claims each account's feed with an atomic UPDATE of a lease, as polls are
claimed (``scheduler.claim_due_accounts``), renews it every tick, and drops a feed whose
lease another watcher took: two watchers never run one account's feed, and a dead one's
accounts are taken over when its leases run out. The poll keeps running at its interval:
it reconciles what a feed cannot see (queues, calls, agents logging out) and stands in while
a feed is down; it also clears ``feed_live`` once a dead watcher's lease has run out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from providers.base import AgentRef
from providers.feeds import Feed
from providers.model import Agent
from providers.registry import feed_vendors
from wallboard import metrics
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.current import StoredChanges, write_delta
from wallboard.monitoring.diff import apply, diff_agents
from wallboard.monitoring.hooks import CommitHook, Committed
from wallboard.monitoring.models import Agent as AgentRow
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.read_model import held_agents, remember_state, remembered_state
from wallboard.monitoring.rows import known_row

log = logging.getLogger("wallboard.feed")

#: Each supervisor's tick stamps it (``manage.py watch --check``: the compose healthcheck).
HEARTBEAT_KEY = "wallboard:feed-heartbeat"
#: How long a new feed may take to read its agents before "not live" counts as down.
START_GRACE_S = 5.0


def last_tick() -> float | None:
    """The Unix time of any supervisor's last tick, or None if none has run."""
    value = cache.get(HEARTBEAT_KEY)
    return float(value) if isinstance(value, int | float) else None


def apply_agent_changes(
    account_pk: int,
    agents: Iterable[Agent],
    *,
    on_commit: CommitHook,
    taken_at: datetime | None = None,
) -> int:
    """Store what ``agents`` (a feed's readings) change, in one transaction; the number of
    agents that changed (0: nothing written, no ``seq``, no hook)."""
    taken_at = taken_at or timezone.now()
    readings = list(agents)
    with transaction.atomic():
        acc = _take_next_seq(account_pk)
        known = remembered_state(acc, seq=acc.seq - 1)
        if known is not None:
            (previous, ids), on_call = known, None
        else:
            # After a poll in another process (every one that changed anything moves the
            # seq), only the named agents are read.
            previous, ids, on_call = held_agents(acc, [r.id for r in readings])
        delta = diff_agents(previous, readings, taken_at)
        if not delta:
            transaction.set_rollback(True)  # gives the seq back
            return 0
        stored = apply(previous, delta) if known else None
        changes = write_delta(acc, delta, taken_at, stored, (previous, ids))
        if stored is not None:
            transaction.on_commit(partial(remember_state, acc, stored, changes.ids or ids))
        else:
            changes.on_call = on_call
        _after_commit(acc, on_commit, changes=changes)
    return len(delta)


def _take_next_seq(account_pk: int) -> ProviderAccount:
    """Lock the account and take its next ``seq`` in one statement, ``UPDATE … RETURNING``
    (PostgreSQL, and SQLite ≥ 3.35, as ``scheduler.claim_due_accounts``): a fed change is
    a handful of statements, and the lock and the ``seq`` were two of them. The account
    comes back with only ``seq`` and ``vendor`` loaded: its settings are decrypted on load,
    and a change needs none of them."""
    meta = ProviderAccount._meta
    assert meta.pk is not None
    table, pk, seq, vendor = (
        connection.ops.quote_name(name) for name in (meta.db_table, meta.pk.column, "seq", "vendor")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {seq} = {seq} + 1 WHERE {pk} = %s "  # noqa: S608 - quoted names
            f"RETURNING {seq}, {vendor}",
            [account_pk],
        )
        taken = cursor.fetchone()
    if taken is None:
        raise ProviderAccount.DoesNotExist(f"no account {account_pk}")
    return known_row(ProviderAccount, {"id": account_pk, "seq": taken[0], "vendor": taken[1]})


def set_feed_live(account_pk: int, live: bool, *, on_commit: CommitHook) -> bool:
    """Store whether the account's feed delivers (the board says "live feed" or "polling");
    True if that changed (a new ``seq`` and the hook, so the screens show it)."""
    with transaction.atomic():
        acc = ProviderAccount.objects.select_for_update().get(pk=account_pk)
        if acc.feed_live == live:
            return False
        acc.feed_live = live
        acc.seq += 1
        acc.save(update_fields=["feed_live", "seq"])
        _after_commit(acc, on_commit, status_changed=True)
    return True


def _after_commit(
    acc: ProviderAccount,
    on_commit: CommitHook,
    *,
    changes: StoredChanges | None = None,
    status_changed: bool = False,
) -> None:
    """Hand the hook what the feed committed at ``acc.seq``, once the transaction has."""
    committed = Committed(
        account_pk=acc.pk, vendor=acc.vendor, seq=acc.seq, ok=True, duration_ms=0.0,
        changes=changes, status_changed=status_changed, source="feed",
    )  # fmt: skip
    transaction.on_commit(partial(on_commit, committed), robust=True)


# ---------------------------------------------------------------------- leases


def new_owner() -> str:
    """A watcher's name in the leases: host, process and a random part (two in a process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_feeds(owner: str, now: datetime | None = None) -> set[int]:
    """Renew ``owner``'s feed leases and take those no live watcher holds; the pks held.

    Each claim is one atomic UPDATE on a lease that is free or run out, so of two watchers
    asking at once only one wins an account; a lease renewed in time is never taken.
    """
    now = now or timezone.now()
    until = now + timedelta(seconds=settings.FEED_LEASE_S)
    wanted = ProviderAccount.objects.filter(enabled=True, vendor__in=feed_vendors())
    ProviderAccount.objects.filter(feed_owner=owner, feed_lease_until__gt=now).filter(
        pk__in=wanted.values("pk")
    ).update(feed_lease_until=until)
    free = Q(feed_lease_until__isnull=True) | Q(feed_lease_until__lte=now)
    for pk in wanted.filter(free).values_list("pk", flat=True):
        ProviderAccount.objects.filter(free, pk=pk).update(feed_owner=owner, feed_lease_until=until)
    return set(wanted.filter(feed_owner=owner, feed_lease_until=until).values_list("pk", flat=True))


def release_feeds(owner: str, account_pks: Iterable[int]) -> None:
    """Give the leases up (a watcher stopping cleanly): another may claim them at once."""
    ProviderAccount.objects.filter(feed_owner=owner, pk__in=list(account_pks)).update(
        feed_owner="", feed_lease_until=None
    )


# ---------------------------------------------------------------------- supervision


@dataclass(frozen=True)
class FeedPlan:
    """What a running feed was made from: a change of either makes a new feed."""

    config: object
    logins: tuple[str, ...]


class FeedRunner:
    """One account's feed on a thread: each batch of changes stored, each change of its
    state (live / down) stored and counted. Errors are logged once per streak."""

    def __init__(
        self, account: ProviderAccount, feed: Feed, *, on_commit: CommitHook, live: bool = False
    ) -> None:
        """``live``: what the board says now (a feed rebuilt for new agents carries on)."""
        self.account_pk = account.pk
        self.vendor = account.vendor
        self.feed = feed
        self.on_commit = on_commit
        self.live = live
        self._started_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"feed-{account.pk}", daemon=True)

    def start(self) -> FeedRunner:
        self.feed.start()
        self._started_at = time.monotonic()
        metrics.set_feed_state(self.account_pk, self.vendor, live=self.live)
        self._thread.start()
        return self

    def stop(self, *, release: bool) -> None:
        """Stop; with ``release`` (this watcher still owns the lease) say "polling"."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.feed.close()
        metrics.set_feed_state(self.account_pk, self.vendor, live=False)
        if release and self.live:
            set_feed_live(self.account_pk, False, on_commit=self.on_commit)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                batch = self.feed.next_changes(timeout_s=0.5)
                if self._stop.is_set():
                    break
                if batch.agents:
                    apply_agent_changes(self.account_pk, batch.agents, on_commit=self.on_commit)
                # A new feed is not live before its first readings: that is no outage.
                starting = time.monotonic() - self._started_at < START_GRACE_S
                if batch.live != self.live and (batch.live or not starting):
                    set_feed_live(self.account_pk, batch.live, on_commit=self.on_commit)
                    self.live = batch.live
                    metrics.set_feed_state(self.account_pk, self.vendor, live=batch.live)
                    log.info(
                        "account %s: %s",
                        self.account_pk,
                        "live feed" if batch.live else "feed down, polling",
                    )
            except Exception:  # the database or a bug: the poll covers it, we try again
                if not failing:
                    log.exception("account %s: storing a feed's change failed", self.account_pk)
                failing = True
                self._stop.wait(1.0)
            else:
                failing = False
            finally:
                close_old_connections()


class FeedSupervisor:
    """Claims feed leases and keeps one ``FeedRunner`` per account it holds (``tick``)."""

    def __init__(self, *, on_commit: CommitHook, tick_s: float | None = None) -> None:
        self.on_commit = on_commit
        self.owner = new_owner()
        self.tick_s = float(settings.FEED_TICK_S if tick_s is None else tick_s)
        self.runners: dict[int, tuple[FeedPlan, FeedRunner | None]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="feed-supervisor", daemon=True)

    def tick(self, now: datetime | None = None) -> set[int]:
        """Renew and claim leases, start feeds for new accounts (or changed settings or
        agents), stop those whose lease was lost; the accounts held."""
        held = claim_feeds(self.owner, now)
        for pk in set(self.runners) - held:
            self._drop(pk, release=False)
            log.info("account %s: feed lease lost to another watcher", pk)
        logins: dict[int, list[str]] = {pk: [] for pk in held}
        rows = AgentRow.objects.filter(account_id__in=held).exclude(login="")
        for account_id, login in rows.order_by("account_id", "login").values_list(
            "account_id", "login"
        ):
            logins[account_id].append(login)
        for account in ProviderAccount.objects.filter(pk__in=held):
            plan = FeedPlan(account.config(), tuple(logins[account.pk]))
            current = self.runners.get(account.pk)
            if current is not None and current[0] == plan:
                continue
            live = False
            if current is not None:  # the board keeps its word while the new feed starts
                live = current[1] is not None and current[1].live
                self._drop(account.pk, release=False)
            try:
                runner = self._start(account, plan, live)
            except Exception:  # a bad setting, the database: polling only, until it changes
                log.exception("account %s: the feed could not start", account.pk)
                runner = None
            self.runners[account.pk] = (plan, runner)
        cache.set(HEARTBEAT_KEY, time.time(), timeout=None)
        return held

    def _start(self, account: ProviderAccount, plan: FeedPlan, live: bool) -> FeedRunner | None:
        provider = build_provider(account)
        try:
            feed = provider.agent_feed([AgentRef(id=login, login=login) for login in plan.logins])
        finally:
            provider.close()  # a feed makes its own connections
        if feed is None:  # switched off, an old API, no agents yet: polling only
            set_feed_live(account.pk, False, on_commit=self.on_commit)
            return None
        return FeedRunner(account, feed, on_commit=self.on_commit, live=live).start()

    def _drop(self, pk: int, *, release: bool) -> None:
        _, runner = self.runners.pop(pk)
        if runner is not None:
            runner.stop(release=release)

    def start(self) -> FeedSupervisor:
        self._thread.start()
        return self

    def run_forever(self) -> None:
        """``tick`` on this thread until ``stop_soon``, then ``stop`` (``manage.py watch``)."""
        self._loop()
        self.stop()

    def stop_soon(self) -> None:
        """Ask ``run_forever`` to end (safe in a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop every feed and give the leases up, so another watcher takes over at once."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        held = list(self.runners)
        for pk in held:
            self._drop(pk, release=True)
        release_feeds(self.owner, held)
        close_old_connections()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("feed supervisor tick failed")
            finally:
                close_old_connections()
            self._stop.wait(self.tick_s)
