"""How big each benchmark run is: the full run (≤ 10 min on 2 cores), ``--quick`` (≤ 2 min)
and the tiny one the smoke test uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineSize:
    agents: int
    churn_pcts: tuple[int, ...]
    polls: int
    naive_polls: int


@dataclass(frozen=True)
class AccountsSize:
    """``bench --accounts``: steps of this many accounts, each of ``agents`` agents polled
    every ``interval_s`` by real Celery processes."""

    steps: tuple[int, ...]
    agents: int = 50
    interval_s: int = 2
    warmup_s: float = 6
    measure_s: float = 20


@dataclass(frozen=True)
class Profile:
    name: str
    pipeline: tuple[PipelineSize, ...]
    fanout_clients: tuple[int, ...]
    fanout_deltas: int
    # Spread over two web processes behind the Redis layer.
    fanout_two_process_clients: int
    # Stock Channels on Daphne, beside ours in the same run (issue 12 §6).
    stock_clients: tuple[int, ...]
    requests_viewers: tuple[int, ...]
    requests_window_s: float
    freshness_s: float
    freshness_agents: int
    history_agents: int
    history_minutes: float
    history_warmup_minutes: float
    # Vendor feeds and actions (ADR 019): data age with Daktela's feed, supervisor clicks
    # (each a pause and an unpause), fed agent changes for the CPU cost.
    feed_freshness_s: float = 30
    click_rounds: int = 8
    # The same clicks with the feed off: the refresh alone (details only).
    click_rounds_without_feed: int = 4
    # VoIPSUN's and SPIKON's clicks (no feed: the refresh and the poll show them).
    click_rounds_other_vendors: int = 4
    feed_changes: int = 300
    accounts: AccountsSize | None = None


FULL = Profile(
    name="full",
    pipeline=(
        PipelineSize(100, (0, 5, 50), polls=12, naive_polls=6),
        PipelineSize(1000, (0, 5, 50), polls=6, naive_polls=3),
    ),
    fanout_clients=(100, 500, 1000),
    fanout_deltas=20,
    fanout_two_process_clients=2000,
    stock_clients=(1000,),
    requests_viewers=(1, 500),
    requests_window_s=24,
    freshness_s=90,
    freshness_agents=100,
    history_agents=500,
    history_minutes=3,
    history_warmup_minutes=1.5,
    accounts=AccountsSize((10, 50, 100, 200)),
)

QUICK = Profile(
    name="quick",
    pipeline=(
        PipelineSize(100, (0, 5, 50), polls=3, naive_polls=2),
        PipelineSize(1000, (5,), polls=3, naive_polls=1),
    ),
    fanout_clients=(100,),
    fanout_deltas=10,
    fanout_two_process_clients=200,
    stock_clients=(100,),
    requests_viewers=(1, 100),
    requests_window_s=8,
    freshness_s=10,
    freshness_agents=100,
    history_agents=500,
    history_minutes=0.8,
    history_warmup_minutes=0.4,
    feed_freshness_s=10,
    click_rounds=4,
    click_rounds_without_feed=0,
    click_rounds_other_vendors=1,
    feed_changes=100,
    accounts=AccountsSize((10,), warmup_s=4, measure_s=8),
)

TINY = Profile(
    name="tiny",
    pipeline=(PipelineSize(20, (0, 50), polls=2, naive_polls=1),),
    fanout_clients=(3,),
    fanout_deltas=2,
    # More screens than one session may hold (ADR 016), over two origins.
    fanout_two_process_clients=24,
    stock_clients=(3,),
    requests_viewers=(1, 3),
    requests_window_s=2.5,
    freshness_s=3,
    freshness_agents=10,
    history_agents=20,
    history_minutes=0.2,
    history_warmup_minutes=0.1,
    feed_freshness_s=3,
    click_rounds=1,
    click_rounds_without_feed=0,
    click_rounds_other_vendors=1,
    feed_changes=5,
)

PROFILES = {p.name: p for p in (FULL, QUICK, TINY)}
