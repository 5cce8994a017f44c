"""Supervisors' and admins' pages: each board's notification rules (add, edit, delete) and
its delivery log, within their scope: an admin sees every board, a supervisor the boards
all of whose accounts they see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from wallboard.accounts.access import AnyUser, can_supervise, is_admin, visible_accounts
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ProviderAccount
from wallboard.notifications.forms import RuleForm
from wallboard.notifications.models import Attempt, Delivery, Rule, Status

DELIVERIES_PER_PAGE = 50


def boards_for(user: AnyUser) -> QuerySet[Board]:
    """The boards whose rules and log ``user`` may see and edit."""
    if is_admin(user):
        return Board.objects.all()
    visible = visible_accounts(user)
    unseen = ProviderAccount.objects.filter(enabled=True).exclude(pk__in=visible.values("pk"))
    return Board.objects.filter(accounts__in=visible).exclude(accounts__in=unseen).distinct()


def _context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    # Only supervisors and admins reach these pages: the header links they have.
    nav = {"console": True, "audit": True, "admin": is_admin(request.user), "me": False}
    return {"nav": nav, **values}


def _require_supervisor(request: HttpRequest) -> None:
    if not can_supervise(request.user):
        raise PermissionDenied(_("Notifications are set up by supervisors and admins."))


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    latest = Delivery.objects.filter(rule=OuterRef("pk")).order_by("-created_at", "-pk")
    rules = Rule.objects.prefetch_related("queues").annotate(
        last_status=Subquery(latest.values("status")[:1])
    )
    boards = boards_for(request.user).prefetch_related(
        Prefetch("notification_rules", queryset=rules), "accounts"
    )
    return render(request, "notifications/index.html", _context(request, boards=boards))


def _edit(request: HttpRequest, board: Board, rule: Rule) -> HttpResponse:
    form = RuleForm(request.POST or None, instance=rule, board=board)
    if request.method == "POST":
        if not form.is_valid():
            context = _context(request, form=form, board=board, rule=rule)
            return render(request, "notifications/rule_form.html", context, status=400)
        saved = form.save()
        if form.generated_secret:
            context = _context(request, board=board, rule=saved, secret=form.generated_secret)
            return render(request, "notifications/rule_form.html", context)
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
        return redirect("notifications:index")
    return render(
        request,
        "notifications/rule_form.html",
        _context(request, form=form, board=board, rule=rule),
    )


@require_http_methods(["GET", "POST"])
@login_required
def rule_new(request: HttpRequest, board_id: int) -> HttpResponse:
    _require_supervisor(request)
    board = get_object_or_404(boards_for(request.user), pk=board_id)
    language = getattr(request, "LANGUAGE_CODE", "")
    return _edit(request, board, Rule(board=board, language=language or settings.LANGUAGE_CODE))


@require_http_methods(["GET", "POST"])
@login_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    _require_supervisor(request)
    rule = get_object_or_404(Rule, pk=rule_id, board__in=boards_for(request.user))
    return _edit(request, rule.board, rule)


@require_POST
@login_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    _require_supervisor(request)
    rule = get_object_or_404(Rule, pk=rule_id, board__in=boards_for(request.user))
    rule.delete()
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    if request.htmx:  # type: ignore[attr-defined]
        # The button asked first (hx-confirm); the page then reloads as a plain POST would.
        return HttpResponseClientRedirect(reverse("notifications:index"))
    return redirect("notifications:index")


@require_GET
@login_required
def deliveries(request: HttpRequest, board_id: int) -> HttpResponse:
    """The delivery log of one board: every message, newest first, with each attempt."""
    _require_supervisor(request)
    board = get_object_or_404(boards_for(request.user), pk=board_id)
    status = request.GET.get("status", "")
    shown = Delivery.objects.filter(board=board).prefetch_related(
        Prefetch("attempt_log", queryset=Attempt.objects.order_by("number"))
    )
    if status in Status.values:
        shown = shown.filter(status=status)
    page = Paginator(shown, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/deliveries.html",
        _context(request, board=board, page=page, status=status, statuses=Status.choices),
    )
