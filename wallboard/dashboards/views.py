"""Pages: the board, the supervisor console and its action panels, the agent's own panel,
the membership editor, a person's profile, and the TV view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from providers.base import Capability, Provider
from wallboard.accounts.access import (
    can_supervise,
    is_admin,
    linked_agent,
    role_of,
    scope_for,
)
from wallboard.accounts.models import ApiToken, Profile, Role
from wallboard.accounts.tokens import MAX_TOKENS_PER_USER, issue
from wallboard.accounts.tokens import PREFIX as TOKEN_PREFIX
from wallboard.actions.specs import ACTIONS, LISTEN_LABELS
from wallboard.dashboards.editor import board_for
from wallboard.dashboards.html import ticker
from wallboard.dashboards.models import TickerMessage, TvLink
from wallboard.dashboards.selection import BoardView, with_calls
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.ids import parse_id
from wallboard.monitoring.models import ActiveCall, Agent, Membership, PauseReason, Queue


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
    """The board: the person's scope, filtered (``?account=``, ``?queue=``), or one of the
    boards they may open (``?board=``, shaped in the board editor)."""
    shaped = board_for(scope_for(request), request.GET.get("board", ""))
    if shaped is not None:
        view, ws_url = BoardView.for_board(shaped), f"/ws/board/?board={shaped.pk}"
    else:
        view = _board_view(request)
        ws_url = f"/ws/board/?{urlencode(_query(request), doseq=True)}"
    return render(
        request,
        "dashboards/board.html",
        {
            "page_title": shaped.name if shaped else None,
            "ticker": ticker(TickerMessage.current(shaped)) if shaped else "",
            "sections": view.sections(),
            "ws_url": ws_url,
            "nav": _nav(request),
        },
    )


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not can_supervise(request.user):
        raise PermissionDenied(_("The console is for supervisors and admins."))
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
        raise PermissionDenied(_("The membership editor is for admins."))
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


class ApiTokenForm(forms.ModelForm):  # type: ignore[type-arg]
    EXPIRY_DAYS = [
        ("30", _("in 30 days")),
        ("90", _("in 90 days")),
        ("365", _("in a year")),
        ("", _("never")),
    ]
    expires = forms.ChoiceField(
        label=_("Expires"), choices=EXPIRY_DAYS, initial="90", required=False
    )

    class Meta:
        model = ApiToken
        fields = ["name"]

    def __init__(self, *args: Any, user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if ApiToken.objects.filter(user_id=self.user_id).count() >= MAX_TOKENS_PER_USER:
            raise forms.ValidationError(
                _("You have %(count)s tokens, the most one person may have: revoke one first.")
                % {"count": MAX_TOKENS_PER_USER}
            )
        return data

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data["expires"]
        return timezone.now() + timedelta(days=int(days)) if days else None


def _profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    token_form: ApiTokenForm | None = None,
    status: int = 200,
    template: str = "dashboards/profile.html",
    **extra: Any,
) -> HttpResponse:
    """The profile page (or one of its partials): the person's settings and API tokens."""
    user_id = request.user.pk or 0
    own, _created = Profile.objects.get_or_create(
        user_id=user_id, defaults={"role": role_of(request.user) or Role.VIEWER}
    )
    context = {
        "form": form or ProfileForm(instance=own),
        "token_form": token_form or ApiTokenForm(user_id=user_id),
        "tokens": ApiToken.objects.filter(user_id=user_id),
        "token_prefix": TOKEN_PREFIX,
        "now": timezone.now(),
        "nav": _nav(request),
        **extra,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A person's own settings: the extension listen-in calls ring, and their API tokens."""
    if request.method != "POST":
        return _profile_page(request)
    own, _created = Profile.objects.get_or_create(
        user_id=request.user.pk or 0, defaults={"role": role_of(request.user) or Role.VIEWER}
    )
    form = ProfileForm(request.POST, instance=own)
    if not form.is_valid():
        return _profile_page(request, form=form, status=400)
    form.save()
    return _profile_page(request, form=form, saved=True)


@require_POST
@login_required
def create_api_token(request: HttpRequest) -> HttpResponse:
    """Make a token for oneself. Its text is in this answer only: it is not stored, and the
    page says so; only its prefix stays readable."""
    user = request.user
    token_form = ApiTokenForm(request.POST, user_id=user.pk or 0)
    if not token_form.is_valid():
        return _profile_page(request, token_form=token_form, status=400)
    row = token_form.save(commit=False)
    row.user_id, row.expires_at = user.pk, token_form.expires_at()
    return _profile_page(request, new_token=issue(row), new_token_name=row.name)


@require_POST
@login_required
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of one's own tokens: it stops working with the next request. The page's
    htmx swap gets the tokens' section back; a plain form, the page."""
    token = get_object_or_404(ApiToken, pk=token_id, user_id=request.user.pk or 0)
    token.delete()
    if request.htmx:  # type: ignore[attr-defined]
        return _profile_page(request, template="dashboards/profile.html#tokens")
    return redirect("profile")


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
            "ticker": ticker(TickerMessage.current(link.board)),
        },
    )
