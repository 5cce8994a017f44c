"""Load profiles: a day with a busy hour, per-queue handle times and patience, waves.

The demo runs three engines, ``SimConfig(agents=24, queues=4, seed=7 + i)`` for i in 0..2,
on a real clock, with the busy hour beginning when it starts. These tests run the same
engines on a ``ManualClock`` (the outcome does not depend on how often the clock is read,
nor on the wall time), and read each queue as the demo board does: waiting warn 2 /
alarm 4, longest wait warn 30 s / alarm 60 s, SLA warn below 80 % / alarm below 60 %.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from providers.model import Queue
from providers.sim.engine import (
    BUSY_HOUR,
    DAY_SHAPE,
    LOADS,
    CallCenter,
    ManualClock,
    SimConfig,
    day_factor,
)

OK, WARN, ALARM = 0, 1, 2
DEMO_SEEDS = (7, 8, 9)
# Three wall times the demo may start at: night, morning, late afternoon (UTC).
STARTS = (
    datetime(2026, 3, 10, 2, 17, 5, tzinfo=UTC),
    datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    datetime(2026, 7, 4, 17, 45, 30, tzinfo=UTC),
)
#: Within this long after its first alarm every queue of an engine is back to normal.
RECOVERY_BOUND_S = 10 * 60


def level(queue: Queue) -> int:
    """The demo board's level of a queue (``wallboard.dashboards.alerts.queue_level``)."""
    waiting, longest = queue.calls_waiting or 0, queue.longest_wait_s or 0
    sla = queue.service_level_pct
    if waiting >= 4 or longest >= 60 or (sla is not None and sla < 60):
        return ALARM
    if waiting >= 2 or longest >= 30 or (sla is not None and sla < 80):
        return WARN
    return OK


def demo_engine(seed: int, start: datetime, load: str = "busy") -> tuple[CallCenter, ManualClock]:
    clock = ManualClock(start)
    config = SimConfig(agents=24, queues=4, seed=seed, load=LOADS[load], busy_hour_at=start)
    return CallCenter(config, clock), clock


def watch(engine: CallCenter, clock: ManualClock, seconds: int) -> list[list[Queue]]:
    """The queues once a second, as a board polling every second would see them."""
    seen = []
    for _ in range(seconds):
        seen.append(engine.queue_figures())
        clock.advance(1)
    return seen


def levels(seen: list[list[Queue]]) -> list[int]:
    return [max(level(q) for q in queues) for queues in seen]


def longest_run(trace: list[int], wanted: int) -> int:
    best = run = 0
    for value in trace:
        run = run + 1 if value >= wanted else 0
        best = max(best, run)
    return best


# ---------------------------------------------------------------- determinism


def _run(seed: int, steps: list[float]) -> list[object]:
    engine, clock = demo_engine(seed, STARTS[0])
    seen: list[object] = []
    for step in steps:
        clock.advance(step)
        seen.append(engine.truth())
    return seen


def test_a_seed_gives_the_same_centre_every_time() -> None:
    steps = [7.5] * 80
    assert _run(7, steps) == _run(7, steps)
    assert _run(7, steps) != _run(8, steps)


def test_how_often_the_clock_is_read_changes_nothing() -> None:
    # Idle seconds are skipped under a load profile; reading every second must agree.
    fine, fine_clock = demo_engine(8, STARTS[0])
    coarse, coarse_clock = demo_engine(8, STARTS[0])
    for minute in range(30):
        for _ in range(60):
            fine_clock.advance(1)
            fine.sync()
        coarse_clock.advance(60)
        assert coarse.truth() == fine.truth(), f"minute {minute}"


def test_the_wall_time_the_demo_starts_at_changes_nothing_but_the_times() -> None:
    traces = []
    for start in STARTS:
        engine, clock = demo_engine(9, start)
        traces.append(
            [[(q.calls_waiting, q.longest_wait_s, q.answered) for q in queues]
             for queues in watch(engine, clock, 300)]
        )  # fmt: skip
    assert traces[0] == traces[1] == traces[2]


# ---------------------------------------------------------------- the busy demo


@pytest.mark.parametrize("seed", DEMO_SEEDS)
def test_the_busy_demo_has_callers_waiting_within_the_first_minute(seed: int) -> None:
    engine, clock = demo_engine(seed, STARTS[0])
    first_minute = watch(engine, clock, 60)
    assert any(q.calls_waiting for queues in first_minute for q in queues)


@pytest.mark.parametrize("seed", DEMO_SEEDS)
def test_each_busy_demo_account_goes_red_and_recovers(seed: int) -> None:
    engine, clock = demo_engine(seed, STARTS[0])
    trace = levels(watch(engine, clock, 15 * 60))
    first_alarm = trace.index(ALARM)
    assert first_alarm < 60, "red within the first minute"
    recovered = trace.index(OK, first_alarm)
    assert recovered - first_alarm <= RECOVERY_BOUND_S
    assert longest_run(trace[recovered:], OK) >= 60, "and stays recovered for a while"


def test_across_the_demo_board_tiles_go_amber_and_red_for_a_while() -> None:
    # The board's alert holds a level 30 s (ALERT_COOLDOWN_S) before it falls; here the
    # queues themselves stay red longer than that.
    tiles: set[int] = set()
    runs = []
    for seed in DEMO_SEEDS:
        engine, clock = demo_engine(seed, STARTS[1])
        seen = watch(engine, clock, 10 * 60)
        tiles |= {level(q) for queues in seen[:120] for q in queues}
        runs.append(longest_run(levels(seen), ALARM))
    assert {WARN, ALARM} <= tiles, "a tile amber and a tile red within two minutes"
    assert max(runs) >= 60, runs


@pytest.mark.parametrize("seed", DEMO_SEEDS)
def test_a_busy_hour_keeps_coming_back_to_amber_without_collapsing(seed: int) -> None:
    engine, clock = demo_engine(seed, STARTS[2])
    trace = levels(watch(engine, clock, 3600))
    later = trace[15 * 60 :]
    assert later.count(WARN) + later.count(ALARM) > 0, "waves after the opening one"
    assert later.count(ALARM) < len(later) / 4, "a stretched centre, not a collapsed one"
    assert OK in later
    assert sum(q.abandoned or 0 for q in engine.queue_figures()) > 0, "some callers give up"


@pytest.mark.parametrize("seed", DEMO_SEEDS)
def test_a_quiet_centre_stays_calm(seed: int) -> None:
    engine, clock = demo_engine(seed, STARTS[0], load="quiet")
    seen = watch(engine, clock, 3600)
    trace = levels(seen)
    assert ALARM not in trace
    assert trace.count(WARN) <= 60
    assert max(q.calls_waiting or 0 for queues in seen for q in queues) <= 2
    assert all(q.answered for q in seen[-1]), "quiet is not closed: calls still come"


# ---------------------------------------------------------------- the day


def test_the_day_shape_has_one_busy_hour_and_a_quiet_night() -> None:
    assert max(DAY_SHAPE) == DAY_SHAPE[BUSY_HOUR] == 1.0
    assert day_factor(BUSY_HOUR + 0.5) == pytest.approx(1.0)
    assert day_factor(3.5) < 0.05
    assert all(0 < day_factor(hour / 4) <= 1 for hour in range(96))
    assert day_factor(23.99) == pytest.approx(day_factor(-0.01))


def _calls_per_local_hour(load: str, day: datetime) -> dict[int, int]:
    """Calls that ended (answered or abandoned) in each local hour of one simulated day."""
    clock = ManualClock(day)
    config = SimConfig(agents=24, queues=4, seed=7, load=LOADS[load], time_zone="Europe/Prague")
    engine = CallCenter(config, clock)
    zone = ZoneInfo(config.time_zone)
    per_hour: dict[int, int] = {}
    before = sum((q.answered or 0) + (q.abandoned or 0) for q in engine.queue_figures())
    for _ in range(24):
        hour = clock.now().astimezone(zone).hour
        clock.advance(3600)
        total = sum((q.answered or 0) + (q.abandoned or 0) for q in engine.queue_figures())
        per_hour[hour] = total - before
        before = total
    return per_hour


@pytest.mark.parametrize("load", ["normal", "busy"])
def test_arrivals_follow_the_local_day(load: str) -> None:
    midnight = datetime(2026, 3, 10, tzinfo=ZoneInfo("Europe/Prague"))
    calls = _calls_per_local_hour(load, midnight)
    night = calls[2] + calls[3]
    busy = calls[BUSY_HOUR] + calls[BUSY_HOUR + 1]
    assert busy > 8 * max(night, 1), calls
    # The queues' own busy hours lie between 09:00 and 12:00 (shifts of -1 to +2 h).
    assert max(calls, key=lambda hour: calls[hour]) in range(9, 13), calls
    assert calls[19] + calls[20] < busy / 2, calls


def test_busy_hour_at_moves_the_day() -> None:
    start = datetime(2026, 3, 10, 3, tzinfo=UTC)  # a night hour in Prague
    clock = ManualClock(start)
    anchored = CallCenter(SimConfig(load=LOADS["normal"], busy_hour_at=start), clock)
    local = CallCenter(SimConfig(load=LOADS["normal"]), clock)
    now = clock.now()
    assert anchored.load_factor("1", now) == pytest.approx(day_factor(BUSY_HOUR))
    assert local.load_factor("1", now) == pytest.approx(day_factor(4.0))
    day_later = now + timedelta(days=1, minutes=30)
    assert anchored.load_factor("1", day_later) == pytest.approx(day_factor(BUSY_HOUR + 0.5))


def test_each_queue_talks_and_waits_as_its_profile_says() -> None:
    busy = LOADS["busy"]
    start = datetime(2026, 3, 10, 6, tzinfo=UTC)
    engine, clock = demo_engine(7, start)
    clock.advance(6 * 3600)
    for queue, profile in zip(engine.queue_figures(), busy.queues, strict=True):
        assert queue.avg_talk_s is not None
        assert queue.avg_talk_s == pytest.approx(profile.avg_talk_s, rel=0.3), queue.name
    talk = [q.avg_talk_s or 0 for q in engine.queue_figures()]
    assert talk[3] > talk[1], "technical calls are the long ones"


def test_more_patience_means_fewer_callers_hang_up() -> None:
    def abandoned(patience_s: float) -> int:
        profile = LOADS["busy"]
        queues = tuple(replace(q, patience_s=patience_s) for q in profile.queues)
        clock = ManualClock(STARTS[0])
        load = replace(profile, queues=queues)
        config = SimConfig(agents=24, queues=4, seed=7, load=load, busy_hour_at=STARTS[0])
        engine = CallCenter(config, clock)
        clock.advance(4 * 3600)
        return sum(q.abandoned or 0 for q in engine.queue_figures())

    assert abandoned(30) > 1.5 * abandoned(600)


def test_the_plain_model_is_untouched_without_a_load() -> None:
    clock = ManualClock(STARTS[0])
    engine = CallCenter(SimConfig(agents=24, queues=4, seed=7), clock)
    assert engine.config.load is None
    assert engine.now == STARTS[0].replace(microsecond=0), "no warm-up"
    assert not engine.calls
