"""The reports page (one account, one of its days) and its two CSV exports."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wallboard.accounts.access import Scope, scope_for
from wallboard.accounts.models import Role
from wallboard.monitoring.models import ProviderAccount
from wallboard.reports.compute import AGENTS_PER_PAGE, CATEGORIES, NO_REASON, DayReport
from wallboard.reports.days import account_zone, day_of, first_reportable_day
from wallboard.reports.presentation import hms, hour_ticks, status_legend
from wallboard.reports.queries import build_report

# logged_in_s = the sum of these; the paused_s:<reason> columns split paused_s.
AGENT_CSV_CATEGORIES = [key for key, _label in CATEGORIES]


def _scope(request: HttpRequest) -> Scope:
    """Reports are for supervisors and admins, over the accounts and queues they may see."""
    scope = scope_for(request)
    if scope.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise PermissionDenied(_("Reports are for supervisors and admins."))
    return scope


def _account(request: HttpRequest, account_id: int) -> ProviderAccount:
    return get_object_or_404(_scope(request).accounts(), pk=account_id)


def _pick_day(
    request: HttpRequest, account: ProviderAccount, now: datetime
) -> tuple[date, date, date, str | None]:
    """The requested day (default: the account's today), the allowed range, and an error."""
    today = day_of(account, now)
    first = first_reportable_day(account, now)
    raw = request.GET.get("day", "")
    if not raw:
        return today, first, today, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return today, first, today, _("That is not a date.")
    if not first <= day <= today:
        return (
            today,
            first,
            today,
            _("History is kept from %(first)s to %(today)s.")
            % {
                "first": first.isoformat(),
                "today": today.isoformat(),
            },
        )
    return day, first, today, None


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    first = _scope(request).accounts().first()
    if first is not None:
        return redirect("reports:day", account_id=first.pk)
    return render(request, "reports/day.html", {"accounts": [], "report": None})


def _agent_rows(report: DayReport) -> list[dict[str, Any]]:
    rows = []
    for agent_day in report.agents:
        rows.append(
            {
                "name": agent_day.agent.name,
                "login": agent_day.agent.login,
                "timeline": agent_day.timeline,
                "logged_in": hms(agent_day.logged_in_s),
                "categories": [hms(agent_day.category(key)) for key, _label in CATEGORIES],
                "reasons": [
                    hms(agent_day.paused_by_reason.get(reason, 0))
                    for reason in report.pause_reasons
                ],
                "calls_seen": agent_day.calls_seen,
            }
        )
    return rows


def _chart_data(report: DayReport) -> dict[str, Any]:
    return {
        "zone": report.zone_name,
        "start": int(report.start.timestamp()),
        "end": int(report.end.timestamp()),
        "labels": {
            "calls_waiting": _("Calls waiting (most per minute)"),
            "longest_wait_s": _("Longest wait, seconds"),
            "service_level_pct": _("Service level, %"),
            "not_reported": _("Not reported by this provider"),
        },
        "queues": [{"id": q.queue.pk, "name": q.queue.name, **q.chart} for q in report.queues],
    }


@require_GET
@login_required
def day_report(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    now = timezone.now()
    day, first, today, error = _pick_day(request, account, now)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    report = build_report(account, day, now, page=page, selection=scope_for(request).queue_ids)
    zone = account_zone(account)
    return render(
        request,
        "reports/day.html",
        {
            "accounts": list(_scope(request).accounts()),
            "account": account,
            "report": report,
            "day": day,
            "first_day": first,
            "today": today,
            "error": error,
            "local_start": report.start.astimezone(zone),
            "local_end": report.end.astimezone(zone),
            "outages": [(a.astimezone(zone), b.astimezone(zone)) for a, b in report.outages],
            "hour_ticks": hour_ticks(report),
            "legend": status_legend(),
            "categories": [label for _key, label in CATEGORIES],
            "pause_reasons": [r or _("(no reason)") for r in report.pause_reasons],
            "agent_rows": _agent_rows(report),
            "queue_rows": [
                {
                    "name": q.queue.name,
                    "number": q.queue.number,
                    "answered": q.answered,
                    "abandoned": q.abandoned,
                    "peak_waiting": q.peak_waiting,
                    "peak_longest_wait": hms(q.peak_longest_wait_s),
                    "service_level_pct": q.service_level_pct,
                    "samples": len(q.samples),
                }
                for q in report.queues
            ],
            "chart_data": _chart_data(report),
            "first_agent": (report.page - 1) * AGENTS_PER_PAGE + 1,
            "last_agent": (report.page - 1) * AGENTS_PER_PAGE + len(report.agents),
        },
    )


# -- CSV -----------------------------------------------------------------------------------


# What makes a spreadsheet read a cell as a formula (OWASP lists these and a CR, which
# never starts a cell here: line breaks are replaced first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t")
LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _cell(value: object) -> object:
    """Provider text must not turn into a spreadsheet formula, in any reader: line breaks
    become spaces (a reader that splits lines at a bare CR, quotes or not, would start a
    row with the text after it), and a formula's first character gets a quote before it."""
    if not isinstance(value, str):
        return value
    value = LINE_BREAKS.sub(" ", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_response(filename: str) -> tuple[HttpResponse, Any]:
    """RFC 4180 CSV: CRLF line ends, so the writer quotes any field holding a CR or LF."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response, lineterminator="\r\n")


def _csv_report(
    request: HttpRequest, account_id: int, *, with_timelines: bool = False
) -> DayReport | HttpResponse:
    account = _account(request, account_id)
    now = timezone.now()
    day, _first, _today, error = _pick_day(request, account, now)
    if error:
        return HttpResponseBadRequest(error)
    return build_report(
        account, day, now, with_timelines=with_timelines, selection=scope_for(request).queue_ids
    )


@require_GET
@login_required
def agents_csv(request: HttpRequest, account_id: int) -> HttpResponse:
    """One row per agent logged in that day: seconds per category, pause reasons, calls."""
    report = _csv_report(request, account_id)
    if isinstance(report, HttpResponse):
        return report
    response, writer = _csv_response(f"agents-{report.account.pk}-{report.day.isoformat()}.csv")
    writer.writerow(
        [
            "agent_id",
            "login",
            "name",
            "logged_in_s",
            *[f"{key}_s" for key in AGENT_CSV_CATEGORIES],
            *[_cell(f"paused_s:{reason or NO_REASON}") for reason in report.pause_reasons],
            "calls_seen",
        ]
    )
    for agent_day in report.agents:
        agent = agent_day.agent
        writer.writerow(
            [
                _cell(agent.vendor_id),
                _cell(agent.login),
                _cell(agent.name),
                agent_day.logged_in_s,
                *[agent_day.category(key) for key in AGENT_CSV_CATEGORIES],
                *[agent_day.paused_by_reason.get(r, 0) for r in report.pause_reasons],
                agent_day.calls_seen,
            ]
        )
    return response


@require_GET
@login_required
def queues_csv(request: HttpRequest, account_id: int) -> HttpResponse:
    """Every stored queue sample of that day, times in the account's zone."""
    report = _csv_report(request, account_id)
    if isinstance(report, HttpResponse):
        return report
    zone = account_zone(report.account)
    response, writer = _csv_response(f"queues-{report.account.pk}-{report.day.isoformat()}.csv")
    writer.writerow(
        [
            "queue_id",
            "queue_name",
            "taken_at",
            "calls_waiting",
            "longest_wait_s",
            "agents_ready",
            "agents_busy",
            "agents_paused",
            "service_level_pct",
            "answered",
            "abandoned",
        ]
    )
    for queue_day in report.queues:
        queue = queue_day.queue
        for sample in queue_day.samples:
            writer.writerow(
                [
                    _cell(queue.vendor_id),
                    _cell(queue.name),
                    datetime.fromtimestamp(sample.taken_s, zone).isoformat(),
                    *["" if v is None else v for v in sample[1:]],
                ]
            )
    return response
