"""The fragments pushed most often, built in Python: pure functions of the rows they are
given, no queries (ADR 013).

At 1,000 agents / 5 % churn about 50 agent tiles and as many count lines go out per poll,
once per language; the template engine costs about 20 times as much per tile (DESIGN §10:
≤ 50 ms CPU per poll in all). The page templates include them through the ``tiles`` tags,
so every screen still shows the same markup. No whitespace between tags: every byte goes to
every screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from wallboard.dashboards.forecast import Forecast, wait_text
from wallboard.dashboards.models import TickerMessage
from wallboard.monitoring.models import ActiveCall, Agent, Queue

OOB = ' hx-swap-oob="true"'


def _iso(value: datetime) -> str:
    """What ``|date:'c'`` prints: the time in the current time zone, ISO 8601."""
    return timezone.localtime(value).isoformat()


@dataclass(frozen=True)
class Words:
    """The active language's words in the built fragments, looked up once per message
    (``get_status_display`` would translate every status choice on each call)."""

    status: dict[str, str]
    counts: tuple[str, str, str]
    forecast: tuple[str, str]

    @classmethod
    def current(cls) -> Words:
        return _words(translation.get_language())

    @classmethod
    def _build(cls) -> Words:
        return cls(
            {value: str(label) for value, label in Agent.STATUS_CHOICES},
            (escape(gettext("ready")), escape(gettext("busy")), escape(gettext("paused"))),
            (
                # Translators: "needs 14 · ASA 12 s" on a queue tile: the agents the queue
                # needs for its SLA target, and the average speed of answer (expected wait).
                escape(gettext("needs %(agents)s")),
                escape(gettext("ASA %(wait)s")),
            ),
        )


@cache
def _words(language: str | None) -> Words:
    """Built in ``language`` (the active one): the catalogs do not change while we run."""
    return Words._build()


def agent_tile(agent: Agent, oob: bool = False, words: Words | None = None) -> SafeString:
    words = words or Words.current()
    status = escape(agent.status)
    html = [
        f'<article id="agent-{agent.pk}" class="agent-tile status-{status.lower()}"'
        f' data-status="{status}" tabindex="0"{OOB if oob else ""}>'
        f'<span class="agent-name">{escape(agent.name)}</span>'
        f'<span class="agent-status" title="{escape(agent.raw_status)}">'
        f"{escape(words.status.get(agent.status, agent.status))}"
    ]
    if agent.pause_reason:
        html.append(f" · {escape(agent.pause_reason)}")
    html.append("</span>")
    if agent.status_since:
        html.append(f'<time class="in-state" data-since="{_iso(agent.status_since)}">0:00</time>')
    call: ActiveCall | None = getattr(agent, "call", None)
    if call:
        arrow = "↗" if call.direction == "out" else "↘"
        html.append(f'<span class="agent-call">{arrow} {escape(call.number)}')
        if call.queue:
            html.append(f" · {escape(call.queue.name)}")
        html.append("</span>")
    html.append("</article>")
    return SafeString("".join(html))


NO_FIGURE = "\N{EN DASH}"


def _count(value: int | None) -> str:
    return NO_FIGURE if value is None else str(value)


def queue_counts(queue: Queue, oob: bool = False, words: Words | None = None) -> SafeString:
    """A queue's agent counts: a fragment of its own, so an agent change sends only these."""
    ready, busy, paused = (words or Words.current()).counts
    return SafeString(
        f'<p id="queue-{queue.pk}-counts" class="agent-counts"{OOB if oob else ""}>'
        f'<b class="ready">{_count(queue.agents_ready)} <small>{ready}</small></b>'
        f'<b class="busy">{_count(queue.agents_busy)} <small>{busy}</small></b>'
        f'<b class="paused">{_count(queue.agents_paused)} <small>{paused}</small></b></p>'
    )


def queue_forecast(queue: Queue, oob: bool = False, words: Words | None = None) -> SafeString:
    """A queue's Erlang C figures (``forecast.with_forecasts``): a fragment of its own, sent
    with the agent counts (the expected wait follows the agents taking calls)."""
    needs, asa = (words or Words.current()).forecast
    forecast: Forecast = getattr(queue, "forecast", None) or Forecast(None, None)
    text = NO_FIGURE
    if forecast.needed is not None:
        text = (
            f"{needs % {'agents': forecast.needed}} · {asa % {'wait': wait_text(forecast.asa_s)}}"
        )
    return SafeString(
        f'<p id="queue-{queue.pk}-forecast" class="forecast"{OOB if oob else ""}>{text}</p>'
    )


def seq_marker(
    account_pk: int,
    seq: int,
    now: datetime | None,
    *,
    full: bool = False,
    resync: bool = False,
    beat: bool = False,
    oob: bool = False,
) -> SafeString:
    """The account's sequence number (live.js spots a gap), and the server's clock in epoch
    milliseconds (the screen corrects its "time in state" counters by it).

    A ``beat`` marker says only "the poller is alive, nothing changed"; the full state tells
    the page after how long without any marker it must say its figures are not live, and how
    often a quiet account is heard from at most (its data age turns amber past two of those).
    """
    flags = (" data-full" if full else "") + (" data-resync" if resync else "")
    flags += " data-beat" if beat else ""
    if full:
        beat_ms = settings.LIVE_HEARTBEAT_S * 1000
        flags += f' data-silence-ms="{beat_ms * 3}" data-beat-ms="{beat_ms}"'
    clock = f' data-now="{round(now.timestamp() * 1000)}"' if now else ""
    return SafeString(
        f'<div id="seq-{account_pk}" class="seq" data-seq="{seq}"{flags}{clock}'
        f"{OOB if oob else ''}></div>"
    )


def ticker(message: TickerMessage | None, oob: bool = False) -> SafeString:
    """The board's message line (ADR 027); the screen hides it when ``data-ttl-ms`` has
    passed since it arrived, so it also ends on a screen that is offline by then."""
    ttl_ms = 0
    if message is not None:
        ttl_ms = max(0, round((message.expires_at - timezone.now()).total_seconds() * 1000))
    text = escape(message.text) if message is not None and ttl_ms else ""
    hidden = "" if text else " hidden"
    return SafeString(
        f'<p id="ticker" class="ticker" role="status" data-ttl-ms="{ttl_ms}"'
        f"{OOB if oob else ''}{hidden}><span>{text}</span></p>"
    )
