from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from wallboard.dashboards.fragments import section_context
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.state import state_json


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    accounts = ProviderAccount.objects.filter(enabled=True).order_by("name", "pk")
    return render(
        request,
        "dashboards/board.html",
        {"sections": [section_context(a) for a in accounts], "ws_url": "/ws/board/"},
    )


@require_GET
@login_required
def account_state(request: HttpRequest, account_id: int) -> JsonResponse:
    """``GET /api/v1/accounts/<id>/state``: the same JSON as ``manage.py dump_state``."""
    account = get_object_or_404(ProviderAccount, pk=account_id)
    return JsonResponse(state_json(account), json_dumps_params={"ensure_ascii": False})
