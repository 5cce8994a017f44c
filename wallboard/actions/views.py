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

from wallboard.accounts.access import can_supervise, visible_accounts
from wallboard.actions.models import AuditEntry
from wallboard.actions.service import Outcome, perform
from wallboard.monitoring.models import ProviderAccount


@require_POST
def act(request: HttpRequest, account_id: int, action: str) -> HttpResponse:
    """Run an action and answer with a feedback fragment; its status says how it went.

    Refusals are 403 (not a redirect to the login page): the caller is a script, not a page.
    Over the user's ``ACTION_RATE_LIMIT`` the answer is 429 and the vendor is not called.
    """
    if not request.user.is_authenticated:
        return HttpResponseForbidden(_("Sign in first."))
    account = get_object_or_404(ProviderAccount, pk=account_id)
    if not visible_accounts(request.user).filter(pk=account.pk).exists():
        return HttpResponseForbidden(_("You are not allowed to act on this account."))
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
        outcome = perform(request.user, account, action, request.POST.dict())
    return render(
        request,
        "actions/feedback.html",
        {"outcome": outcome, "action": action, "account": account},
        status=outcome.status,
    )


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Admins and supervisors browse the audit log of the accounts they can see."""
    if not can_supervise(request.user):
        return HttpResponse(status=403)
    entries = AuditEntry.objects.filter(account__in=visible_accounts(request.user))
    filters = {
        "account": request.GET.get("account", ""),
        "action": request.GET.get("action", ""),
        "user": request.GET.get("user", ""),
        "outcome": request.GET.get("outcome", ""),
    }
    if filters["account"].isdigit():
        entries = entries.filter(account_id=int(filters["account"]))
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["user"]:
        entries = entries.filter(username__icontains=filters["user"])
    if filters["outcome"] in ("ok", "failed"):
        entries = entries.filter(ok=filters["outcome"] == "ok")
    page = Paginator(entries.select_related("account"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "actions/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "accounts": visible_accounts(request.user),
            "actions": AuditEntry.objects.values_list("action", flat=True).distinct(),
        },
    )
