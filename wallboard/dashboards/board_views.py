"""The board editor's pages (ADR 027): the boards a supervisor or admin may edit, and one
board's form with a live preview of its TV at a chosen screen size."""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wallboard.accounts.access import can_supervise, is_admin, scope_for
from wallboard.dashboards import views
from wallboard.dashboards.editor import BoardForm, TickerForm, editable_boards
from wallboard.dashboards.models import Board, TickerMessage

# The screens the preview shows the TV at: width, height.
PREVIEW_SIZES = [(1366, 768), (1920, 1080), (3840, 2160), (1080, 1920)]


def _nav(request: HttpRequest) -> dict[str, bool]:
    return {"console": True, "audit": True, "admin": is_admin(request.user), "me": False}


def _refuse(request: HttpRequest) -> HttpResponse | None:
    if can_supervise(request.user):
        return None
    return HttpResponseForbidden(_("Boards are edited by supervisors and admins."))


@require_GET
@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    if (refused := _refuse(request)) is not None:
        return refused
    boards = editable_boards(scope_for(request)).prefetch_related("accounts", "tv_links")
    return render(request, "dashboards/boards.html", {"boards": boards, "nav": _nav(request)})


@require_http_methods(["GET", "POST"])
@login_required
def board_edit(request: HttpRequest, board_id: int | None = None) -> HttpResponse:
    """A board's form; on a bad answer the form comes back with its errors (400) and
    nothing is saved."""
    if (refused := _refuse(request)) is not None:
        return refused
    scope = scope_for(request)
    board = get_object_or_404(editable_boards(scope), pk=board_id) if board_id else Board()
    if request.method == "POST":
        form = BoardForm(request.POST, instance=board, scope=scope)
        if form.is_valid():
            saved = form.save()
            return redirect(reverse("board-edit", args=[saved.pk]) + "?saved=1")
        status = 400
    else:
        form, status = BoardForm(instance=board, scope=scope), 200
    return _edit_page(request, board, form, TickerForm(), status)


def _edit_page(
    request: HttpRequest, board: Board, form: BoardForm, ticker_form: TickerForm, status: int
) -> HttpResponse:
    context = {
        "board": board,
        "form": form,
        "ticker_form": ticker_form,
        "ticker": TickerMessage.current(board) if board.pk else None,
        "tv_links": [link for link in board.tv_links.all() if link.active] if board.pk else [],
        "sizes": [f"{w}x{h}" for w, h in PREVIEW_SIZES],
        "nav": _nav(request),
        "saved": request.method == "GET" and request.GET.get("saved"),
    }
    return render(request, "dashboards/board_edit.html", context, status=status)


@require_POST
@login_required
def board_ticker(request: HttpRequest, board_id: int) -> HttpResponse:
    """Put a message on the board's screens until it expires (pushed on commit)."""
    if (refused := _refuse(request)) is not None:
        return refused
    scope = scope_for(request)
    board = get_object_or_404(editable_boards(scope), pk=board_id)
    ticker_form = TickerForm(request.POST)
    if not ticker_form.is_valid():
        form = BoardForm(instance=board, scope=scope)
        return _edit_page(request, board, form, ticker_form, 400)
    ticker_form.save_for(board, request.user.pk)
    return redirect(reverse("board-edit", args=[board.pk]) + "?saved=ticker")


@require_GET
@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def board_preview(request: HttpRequest) -> HttpResponse:
    """The board page for the editor's preview frame: the only page our own may frame."""
    return views.board(request)
