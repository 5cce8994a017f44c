"""The board editor's pages (ADR 027): the boards a supervisor or admin may edit, and one
board's form with a live preview of its TV at a chosen screen size and its TVs.

What the TVs are doing now (their sockets, every web process) is the live layer's to know:
the URLconf hands it in as ``screens_of``, as it hands the actions their ``after_action``."""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wallboard.accounts.access import can_supervise, is_admin, scope_for
from wallboard.dashboards import views
from wallboard.dashboards.editor import (
    BoardForm,
    TickerForm,
    TvLinkForm,
    editable_boards,
    editable_links,
)
from wallboard.dashboards.fleet import ScreensOf, board_screens
from wallboard.dashboards.models import Board, TickerMessage, TvLink

# The session's note of the link just made, to show its address once.
NEW_LINK = "board_editor_new_tv_link"

# The screens the preview shows the TV at: width, height.
PREVIEW_SIZES = [(1366, 768), (1920, 1080), (3840, 2160), (1080, 1920)]


def _nav(request: HttpRequest) -> dict[str, bool]:
    return {"console": True, "audit": True, "admin": is_admin(request.user), "me": False}


def _require_supervisor(request: HttpRequest) -> None:
    if not can_supervise(request.user):
        raise PermissionDenied(_("Boards are edited by supervisors and admins."))


@require_GET
@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    boards = editable_boards(scope_for(request)).prefetch_related("accounts", "tv_links")
    return render(request, "dashboards/boards.html", {"boards": boards, "nav": _nav(request)})


@require_http_methods(["GET", "POST"])
@login_required
def board_edit(
    request: HttpRequest, screens_of: ScreensOf, board_id: int | None = None
) -> HttpResponse:
    """A board's form; on a bad answer the form comes back with its errors (400) and
    nothing is saved."""
    _require_supervisor(request)
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
    return _edit_page(request, board, screens_of, status, form=form)


def _edit_page(
    request: HttpRequest,
    board: Board,
    screens_of: ScreensOf,
    status: int,
    *,
    form: BoardForm | None = None,
    ticker_form: TickerForm | None = None,
    tv_form: TvLinkForm | None = None,
) -> HttpResponse:
    new_link_url = None
    if board.pk and request.method == "GET" and (new_pk := request.session.pop(NEW_LINK, None)):
        new_link = board.tv_links.filter(pk=new_pk, revoked_at=None).first()
        if new_link is not None:
            new_link_url = request.build_absolute_uri(reverse("tv", args=[new_link.token]))
    context = {
        "board": board,
        "form": form if form is not None else BoardForm(instance=board, scope=scope_for(request)),
        "ticker_form": ticker_form if ticker_form is not None else TickerForm(),
        "tv_form": tv_form if tv_form is not None else TvLinkForm(),
        "ticker": TickerMessage.current(board) if board.pk else None,
        "tv_screens": board_screens(board, screens_of) if board.pk else [],
        "new_link_url": new_link_url,
        "sizes": [f"{w}x{h}" for w, h in PREVIEW_SIZES],
        "nav": _nav(request),
        "saved": request.method == "GET" and request.GET.get("saved"),
    }
    return render(request, "dashboards/board_edit.html", context, status=status)


@require_GET
@login_required
def board_tvs(request: HttpRequest, board_id: int, screens_of: ScreensOf) -> HttpResponse:
    """The editor's list of the board's TVs, which it fetches again every 10 s."""
    _require_supervisor(request)
    board = get_object_or_404(editable_boards(scope_for(request)), pk=board_id)
    context = {"board": board, "tv_screens": board_screens(board, screens_of)}
    return render(request, "dashboards/board_edit.html#tv-screens", context)


@require_POST
@login_required
def tv_link_new(request: HttpRequest, board_id: int, screens_of: ScreensOf) -> HttpResponse:
    """A new TV link for the board; the editor shows its address once, to copy."""
    _require_supervisor(request)
    board = get_object_or_404(editable_boards(scope_for(request)), pk=board_id)
    tv_form = TvLinkForm(request.POST, instance=TvLink(board=board))
    if not tv_form.is_valid():
        return _edit_page(request, board, screens_of, 400, tv_form=tv_form)
    request.session[NEW_LINK] = tv_form.save().pk
    return redirect(reverse("board-edit", args=[board.pk]) + "?saved=tv-new")


@require_POST
@login_required
def tv_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """End a TV link: its TVs show "not valid" at once (``live.signals``, on commit)."""
    _require_supervisor(request)
    link = get_object_or_404(editable_links(scope_for(request)), pk=link_id)
    link.revoke()
    return redirect(reverse("board-edit", args=[link.board_id]) + "?saved=revoke")


@require_POST
@login_required
def board_ticker(request: HttpRequest, board_id: int, screens_of: ScreensOf) -> HttpResponse:
    """Put a message on the board's screens until it expires (pushed on commit)."""
    _require_supervisor(request)
    scope = scope_for(request)
    board = get_object_or_404(editable_boards(scope), pk=board_id)
    ticker_form = TickerForm(request.POST)
    if not ticker_form.is_valid():
        return _edit_page(request, board, screens_of, 400, ticker_form=ticker_form)
    ticker_form.save_for(board, request.user.pk)
    return redirect(reverse("board-edit", args=[board.pk]) + "?saved=ticker")


@require_GET
@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def board_preview(request: HttpRequest) -> HttpResponse:
    """The board page for the editor's preview frame: the only page our own may frame."""
    return views.board(request)
