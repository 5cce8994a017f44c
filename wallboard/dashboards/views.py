"""Pages: the board, the supervisor console and its action panels, the agent's own panel,
the membership editor, a person's profile, and the TV view."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from providers.base import Capability, Provider
from wallboard.accounts.access import (
    can_supervise,
    is_admin,
    linked_agent,
    role_of,
    scope_for,
)
from wallboard.accounts.models import Profile, Role
from wallboard.actions.specs import ACTIONS, LISTEN_LABELS
from wallboard.dashboards.models import TvLink
from wallboard.dashboards.selection import BoardView, with_calls
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.ids import parse_id
from wallboard.monitoring.models import ActiveCall, Agent, Membership, PauseReason, Queue
from wallboard.monitoring.state import state_json


def _nav(request: HttpRequest) -> dict[str, bool]:
    role = role_of(request.user)
    return {
        "console": role in (Role.ADMIN, Role.SUPERVISOR),
        "me": role is Role.AGENT,
        "audit": role in (Role.ADMIN, Role.SUPERVISOR),
        "admin": role is Role.ADMIN,
    }


def _query(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.GET.getlist(key) for key in ("account", "queue")}


def _board_view(request: HttpRequest) -> BoardView:
    scope = scope_for(request)
    return BoardView.for_request(scope.accounts(), _query(request), scope.queue_ids)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = role_of(request.user)
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return redirect("console")
    if role is Role.AGENT:
        return redirect("my-panel")
    return redirect("board")


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    view = _board_view(request)
    query = urlencode(_query(request), doseq=True)
    return render(
        request,
        "dashboards/board.html",
        {"sections": view.sections(), "ws_url": f"/ws/board/?{query}", "nav": _nav(request)},
    )


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not can_supervise(request.user):
        return HttpResponseForbidden(_("The console is for supervisors and admins."))
    scope = scope_for(request)
    view = _board_view(request)
    query = urlencode(_query(request), doseq=True)
    return render(
        request,
        "dashboards/console.html",
        {
            "page_title": _("Supervisor console"),
            "sections": view.sections(),
            "ws_url": f"/ws/board/?{query}",
            "nav": _nav(request),
            "all_accounts": scope.accounts(),
            "all_queues": [q for a in scope.accounts() for q in scope.queues(a)],
            "selected_accounts": [a.pk for a in view.accounts]
            if request.GET.get("account")
            else [],
            "selected_queues": sorted(view.queue_ids or ()),
        },
    )


def _available(provider: Provider, *, self_service: bool) -> set[str]:
    return {
        name
        for name, spec in ACTIONS.items()
        if provider.supports(spec.capability) and (spec.self_service or not self_service)
    }


def _agent_panel_context(
    request: HttpRequest, agent: Agent, *, self_service: bool
) -> dict[str, Any]:
    """One agent's panel; its queue and colleague lists hold only what is in scope."""
    account = agent.account
    scope = scope_for(request)
    provider = build_provider(account)
    profile = Profile.objects.filter(user_id=request.user.pk or 0).first()
    queues = scope.queues(account)
    memberships = list(
        agent.memberships.filter(queue__in=queues).select_related("queue").order_by("queue__name")
    )
    (agent,) = with_calls([agent])
    call: ActiveCall | None = agent.call  # type: ignore[attr-defined]
    return {
        "agent": agent,
        "account": account,
        "call": call,
        "actions": _available(provider, self_service=self_service),
        "self_service": self_service,
        "reasons": PauseReason.objects.filter(account=account).exclude(type="wrap"),
        "can_force": True,
        "listen_modes": [(m.value, LISTEN_LABELS[m]) for m in provider.listen_modes],
        "listener": profile.extension if profile else "",
        "memberships": memberships,
        "other_queues": queues.exclude(pk__in=[m.queue_id for m in memberships]),
        "queues": queues,
        "colleagues": scope.agents(account).exclude(pk=agent.pk),
        "penalty_range": provider.penalty_range,
    }


@require_GET
@login_required
def agent_panel(request: HttpRequest, agent_id: int) -> HttpResponse:
    """The console's action panel for one agent (and their call)."""
    scope = scope_for(request)
    agent = get_object_or_404(
        Agent.objects.select_related("account"), pk=agent_id, account__in=scope.accounts()
    )
    if not scope.may_supervise(agent):
        return HttpResponseForbidden(_("You cannot act on this agent."))
    context = _agent_panel_context(request, agent, self_service=False)
    return render(request, "dashboards/agent_panel.html", context)


@require_GET
@login_required
def my_panel(request: HttpRequest) -> HttpResponse:
    """An agent's own status, pause/unpause, and own queues; works on a phone."""
    agents = [
        a for a in (linked_agent(request.user, acc) for acc in scope_for(request).accounts()) if a
    ]
    panels = [_agent_panel_context(request, a, self_service=True) for a in agents]
    return render(
        request,
        "dashboards/my_panel.html",
        {"panels": panels, "agents": with_calls(agents), "nav": _nav(request)},
    )


@require_GET
@login_required
def membership(request: HttpRequest) -> HttpResponse:
    """Admins: the agents-by-queues matrix of one account, read from the provider."""
    if not is_admin(request.user):
        return HttpResponseForbidden(_("The membership editor is for admins."))
    accounts = scope_for(request).accounts()
    account_id = parse_id(request.GET.get("account", ""))
    account = get_object_or_404(accounts, pk=account_id) if account_id else accounts.first()
    context: dict[str, Any] = {"accounts": accounts, "account": account, "nav": _nav(request)}
    if account is not None:
        provider = build_provider(account)
        queues = list(Queue.objects.filter(account=account))
        cells = {
            (m.agent_id, m.queue_id): m for m in Membership.objects.filter(agent__account=account)
        }
        context.update(
            {
                "editable": provider.supports(Capability.QUEUE_MEMBERSHIP_EDIT),
                "penalty_range": provider.penalty_range,
                "queues": queues,
                "rows": [
                    (agent, [(queue, cells.get((agent.pk, queue.pk))) for queue in queues])
                    for agent in Agent.objects.filter(account=account)
                ],
                "ws_url": f"/ws/board/?account={account.pk}",
            }
        )
    template = "dashboards/membership.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#matrix"
    return render(request, template, context)


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Profile
        fields = ["extension"]


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A person's own settings: the extension listen-in calls ring."""
    own, _created = Profile.objects.get_or_create(
        user_id=request.user.pk or 0, defaults={"role": role_of(request.user) or Role.VIEWER}
    )
    form = ProfileForm(request.POST or None, instance=own)
    saved = False
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "dashboards/profile.html", {"form": form, "nav": _nav(request)}, status=400
            )
        form.save()
        saved = True
    return render(
        request, "dashboards/profile.html", {"form": form, "saved": saved, "nav": _nav(request)}
    )


@require_GET
def tv(request: HttpRequest, token: str) -> HttpResponse:
    """A wall screen: no login; the signed link is the key, and revoking it ends it."""
    link = TvLink.from_token(token)
    if link is None:
        # A page of its own, read from across the room, not the site's bare 404.
        return render(request, "dashboards/tv_gone.html", status=404)
    view = BoardView.for_board(link.board)
    return render(
        request,
        "dashboards/tv.html",
        {
            "page_title": link.board.name,
            "sections": view.sections(),
            "ws_url": f"/ws/tv/{token}/",
            "sound": link.board.sound,
        },
    )


@require_GET
@login_required
def account_state(request: HttpRequest, account_id: int) -> JsonResponse:
    """``GET /api/v1/accounts/<id>/state``: the same JSON as ``manage.py dump_state``, with
    only the queues, agents and calls in the person's scope."""
    scope = scope_for(request)
    account = get_object_or_404(scope.accounts(), pk=account_id)
    return JsonResponse(
        state_json(account, scope.queue_ids), json_dumps_params={"ensure_ascii": False}
    )
