from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage

from wallboard.accounts.access import scope_for
from wallboard.accounts.models import Role
from wallboard.actions.audit import entries_in_scope
from wallboard.actions.service import AfterAction, Outcome, perform, unknown_action
from wallboard.actions.specs import ACTIONS
from wallboard.monitoring.ids import parse_id
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import request_poll


@require_POST
def act(
    request: HttpRequest, account_id: int, action: str, after_action: AfterAction = request_poll
) -> HttpResponse:
    """Run an action and answer with a feedback fragment; its status says how it went.

    Refusals are 403 (not a redirect to the login page): the caller is a script, not a page.
    An action name that is not one of ``ACTIONS`` is a 404 and no audit entry. Over the
    user's ``ACTION_RATE_LIMIT`` the answer is 429 and the vendor is not called.
    ``after_action`` (the URLconf passes the wiring's) refreshes the wall after a success.
    """
    if not request.user.is_authenticated:
        return HttpResponseForbidden(_("Sign in first."))
    account = get_object_or_404(ProviderAccount, pk=account_id)
    scope = scope_for(request)
    if not scope.sees_account(account):
        return HttpResponseForbidden(_("You are not allowed to act on this account."))
    if action not in ACTIONS:
        return _feedback(request, unknown_action(account), account)
    usage = get_usage(
        request, group="actions", key="user", rate=settings.ACTION_RATE_LIMIT, increment=True
    )
    if usage is not None and usage["should_limit"]:
        outcome = Outcome(
            False,
            HTTPStatus.TOO_MANY_REQUESTS,
            _("Too many actions in a short time: nothing was sent. Try again in %(seconds)s s.")
            % {"seconds": max(usage["time_left"], 1)},
        )
    else:
        outcome = perform(
            request.user,
            account,
            action,
            request.POST.dict(),
            scope=scope,
            after_action=after_action,
        )
    return _feedback(request, outcome, account)


def _feedback(request: HttpRequest, outcome: Outcome, account: ProviderAccount) -> HttpResponse:
    return render(
        request,
        "actions/feedback.html",
        {"outcome": outcome, "account": account},
        status=outcome.status,
    )


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Admins and supervisors browse the audit log of what they may see (ADR 016).

    Filters hold what the page offers; other text in them (an id beyond any row's, an
    action no one can take) matches nothing rather than failing.
    """
    scope = scope_for(request)
    if scope.role not in (Role.ADMIN, Role.SUPERVISOR):
        return HttpResponse(status=403)
    visible = entries_in_scope(scope)
    entries = visible
    filters = {
        "account": request.GET.get("account", ""),
        "action": request.GET.get("action", ""),
        "user": request.GET.get("user", "").replace("\x00", ""),
        "outcome": request.GET.get("outcome", ""),
    }
    if filters["account"]:
        entries = entries.filter(account_id=parse_id(filters["account"]) or 0)
    if filters["action"]:
        known = filters["action"] in ACTIONS
        entries = entries.filter(action=filters["action"]) if known else entries.none()
    if filters["user"]:
        entries = entries.filter(username__icontains=filters["user"])
    if filters["outcome"] in ("ok", "failed"):
        entries = entries.filter(ok=filters["outcome"] == "ok")
    page = Paginator(entries.select_related("account"), 50).get_page(request.GET.get("page"))
    taken = visible.filter(action__in=ACTIONS).order_by("action").values_list("action", flat=True)
    return render(
        request,
        "actions/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "accounts": scope.accounts(),
            "actions": list(taken.distinct()),
        },
    )
