"""The fragments built in Python (``wallboard.dashboards.html``), for the templates."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from wallboard.dashboards import html
from wallboard.dashboards.html import Words
from wallboard.monitoring.models import Agent, ProviderAccount, Queue
from wallboard.reports.presentation import hms

register = template.Library()
WORDS = "wallboard.dashboards.words"


def _words(context: template.Context) -> Words:
    """Looked up once per page, not once per tile (a board has a thousand)."""
    words: Words | None = context.render_context.get(WORDS)
    if words is None:
        words = context.render_context[WORDS] = Words.current()
    return words


@register.simple_tag(takes_context=True)
def agent_tile(context: template.Context, agent: Agent, oob: bool = False) -> SafeString:
    return html.agent_tile(agent, oob, _words(context))


@register.simple_tag(takes_context=True)
def queue_counts(context: template.Context, queue: Queue) -> SafeString:
    return html.queue_counts(queue, words=_words(context))


@register.simple_tag(takes_context=True)
def queue_forecast(context: template.Context, queue: Queue) -> SafeString:
    return html.queue_forecast(queue, words=_words(context))


@register.simple_tag
def seq_marker(account: ProviderAccount) -> SafeString:
    return html.seq_marker(account.pk, account.seq, timezone.now())


# A leader's talk time: h:mm:ss, as the reports page says it.
register.filter("hms", hms)
