"""The board editor's TV buttons (issue 11 §4, ADR 027): over the socket of one TV link's
screens only — identify (the TV shows its label large for 10 s) and reload."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wallboard.accounts.access import can_supervise, scope_for
from wallboard.dashboards.editor import editable_links
from wallboard.dashboards.html import OOB
from wallboard.live.push import end_sessions, send_to_group, tv_group

IDENTIFY_MS = 10_000


@require_POST
@login_required
def tv_command(request: HttpRequest, link_id: int, command: str) -> HttpResponse:
    if not can_supervise(request.user):
        return HttpResponseForbidden(_("Boards are edited by supervisors and admins."))
    link = get_object_or_404(editable_links(scope_for(request)), pk=link_id)
    if command == "reload":
        # The page reloads on this close code (live.js), as after a board change.
        end_sessions(tv_group(link.pk))
    else:
        label = escape(link.label or _("TV %(number)d") % {"number": link.pk})
        html = (
            f'<div id="identify" class="identify" data-ttl-ms="{IDENTIFY_MS}"{OOB}>'
            f"<span>{label}</span></div>"
        )
        send_to_group(tv_group(link.pk), {"type": "board.update", "html": html})
    return redirect(reverse("board-edit", args=[link.board_id]) + f"?saved={command}")
