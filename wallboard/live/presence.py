"""Which of an account's groups some screen watches, across every web process, so that a
change is rendered only in the languages, for the selections and agent panels, and with the
board widgets (``Shows``), that a screen shows (ADR 031).

A socket says what it watches (``watch``) once it has joined its groups and before it reads
its full state: a change committed before that is in the state it reads, and one committed
after finds it watching. With Redis each account has a hash, one field per group watched
anywhere, valued with when it lapses; each web process renews the fields of its open sockets
every ``RENEW_S``, so a dead process's fields lapse by themselves, and a field outlives its
last socket by at most ``LEASE_S`` (a language rendered for nobody that long). Without Redis
there is one process, and its counts are the record.

A screen whose field lapsed while it stayed open (Redis lost its keys) misses changes until
its process renews it; the heartbeat, which goes to every language whatever the record
says, then shows it a gap in the sequence numbers, and it resyncs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from redis.exceptions import RedisError

from wallboard.live.push import account_group, agent_group, selection_group
from wallboard.live.slots import loop_client, sync_client

log = logging.getLogger(__name__)

# A field lapses this long after its last renewal; each process renews its own every RENEW_S.
LEASE_S = 60.0
RENEW_S = 20.0


@dataclass(frozen=True, slots=True)
class Watch:
    """One group a screen watches, in one language: the whole account, a selection of its
    queues (``queues``), or an agent's own panel (``agent_pk``)."""

    account_pk: int
    language: str
    queues: frozenset[int] | None = None
    agent_pk: int | None = None

    @property
    def group(self) -> str:
        if self.agent_pk is not None:
            return agent_group(self.agent_pk, self.language)
        if self.queues is not None:
            return selection_group(self.account_pk, self.queues, self.language)
        return account_group(self.account_pk, self.language)

    @property
    def field(self) -> str:
        """Its name in the account's record (``Screens.of`` reads it back)."""
        if self.agent_pk is not None:
            return f"agent:{self.agent_pk}:{self.language}"
        if self.queues is not None:
            return f"queues:{self.language}:{','.join(map(str, sorted(self.queues)))}"
        return f"account:{self.language}"


@dataclass(frozen=True, slots=True)
class Shows:
    """A board widget (``Widget``) a screen shows for the account: recorded beside the
    groups, so that a change renders only the widgets some open screen shows. Not a group:
    the widgets' fragments travel in the account's and the selections' messages."""

    account_pk: int
    widget: str

    @property
    def field(self) -> str:
        return f"widget:{self.widget}"


Recorded = Watch | Shows


@dataclass
class Screens:
    """What an account's screens watch: the languages of the whole account, of each
    selection of its queues, and of each agent's panel; and the widgets they show."""

    account: set[str] = field(default_factory=set)
    selections: dict[frozenset[int], set[str]] = field(default_factory=dict)
    agents: dict[int, set[str]] = field(default_factory=dict)
    widgets: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, fields: Iterable[str]) -> Screens:
        screens = cls()
        for name in fields:
            kind, _, rest = name.partition(":")
            if kind == "account":
                screens.account.add(rest)
            elif kind == "queues":
                language, _, ids = rest.partition(":")
                queues = frozenset(int(q) for q in ids.split(",") if q)
                screens.selections.setdefault(queues, set()).add(language)
            elif kind == "agent":
                agent, _, language = rest.partition(":")
                screens.agents.setdefault(int(agent), set()).add(language)
            elif kind == "widget":
                screens.widgets.add(rest)
        return screens

    def languages(self) -> set[str]:
        return self.account.union(*self.selections.values(), *self.agents.values())


class _Counts:
    """The sockets of one process (or event loop) per account and field."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the publisher reads from its own thread
        self._held: dict[int, dict[str, int]] = {}

    def add(self, watches: Iterable[Recorded]) -> None:
        with self._lock:
            for w in watches:
                held = self._held.setdefault(w.account_pk, {})
                held[w.field] = held.get(w.field, 0) + 1

    def remove(self, watches: Iterable[Recorded]) -> None:
        with self._lock:
            for w in watches:
                held = self._held.get(w.account_pk, {})
                if held.get(w.field, 0) > 1:
                    held[w.field] -= 1
                    continue
                held.pop(w.field, None)
                if not held:
                    self._held.pop(w.account_pk, None)

    def fields(self, account_pk: int) -> list[str]:
        with self._lock:
            return list(self._held.get(account_pk, ()))

    def all(self) -> dict[int, list[str]]:
        with self._lock:
            return {pk: list(held) for pk, held in self._held.items()}

    def __bool__(self) -> bool:
        return bool(self._held)


def _key(account_pk: int) -> str:
    return f"{settings.REDIS_PREFIX}:watched:{account_pk}"


class _RedisRecord:
    """One event loop's sockets, written to the shared hashes and renewed while any is open."""

    def __init__(self, url: str) -> None:
        self._redis = loop_client(url)
        self.counts = _Counts()
        self._renewing: asyncio.Task[None] | None = None

    async def watch(self, watches: Sequence[Recorded]) -> None:
        self.counts.add(watches)
        if self._renewing is None:
            self._renewing = asyncio.create_task(self._renew())
        by_account: dict[int, list[str]] = {}
        for w in watches:
            by_account.setdefault(w.account_pk, []).append(w.field)
        await self._write(by_account)

    def unwatch(self, watches: Sequence[Recorded]) -> None:
        """Only this process forgets them: another may watch the same; the fields lapse."""
        self.counts.remove(watches)
        if not self.counts and self._renewing is not None:
            self._renewing.cancel()
            self._renewing = None

    async def _write(self, by_account: dict[int, list[str]]) -> None:
        lapse = time.time() + LEASE_S
        async with self._redis.pipeline(transaction=False) as pipe:
            for account_pk, fields in by_account.items():
                pipe.hset(_key(account_pk), mapping=dict.fromkeys(fields, lapse))
                pipe.expire(_key(account_pk), int(LEASE_S) + 1)
            await pipe.execute()

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                await self._write(self.counts.all())
            except (ConnectionError, OSError, RedisError) as err:
                log.warning("could not renew what this process's screens watch: %s", err)


_local = _Counts()
# A Redis connection belongs to the event loop that opened it: one record per loop (the
# server has one; each test has its own).
_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RedisRecord] = (
    weakref.WeakKeyDictionary()
)


def _record(url: str) -> _RedisRecord:
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None:
        found = _by_loop[loop] = _RedisRecord(url)
    return found


async def watch(watches: Sequence[Recorded]) -> None:
    """These groups (and widgets) have one more screen (call after joining the groups,
    before the full state)."""
    if not settings.REDIS_URL:
        _local.add(watches)
        return
    try:
        await _record(settings.REDIS_URL).watch(watches)
    except (ConnectionError, OSError, RedisError) as err:
        # Redis unreachable: so is the channel layer; the publisher renders everything
        # while it cannot read the record, and the renewal writes it once Redis is back.
        log.warning("could not record what a screen watches: %s", err)


async def unwatch(watches: Sequence[Recorded]) -> None:
    if not settings.REDIS_URL:
        _local.remove(watches)
        return
    _record(settings.REDIS_URL).unwatch(watches)


# The publisher's client per Redis URL (a test may point the settings elsewhere).
def screens(account_pk: int) -> Screens | None:
    """What the account's screens watch now (one Redis read); None when that cannot be
    known, and then the caller renders for everyone."""
    if not settings.REDIS_URL:
        return Screens.of(_local.fields(account_pk))
    try:
        held = sync_client(settings.REDIS_URL, decode_responses=True).hgetall(_key(account_pk))
    except (ConnectionError, OSError, RedisError):
        return None
    now = time.time()
    # A client made with ``decode_responses`` answers in text.
    return Screens.of(str(name) for name, lapse in held.items() if float(lapse) > now)
