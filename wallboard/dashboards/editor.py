"""The board editor's forms (ADR 027): a board's accounts and queues, its widgets in order,
its queues' targets, its rotation and theme — each refused with a
clear error, nothing saved, when it names what the person may not choose (ADR 016)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallboard.accounts.access import Scope
from wallboard.accounts.models import Role
from wallboard.dashboards.models import (
    AgentGrid,
    Board,
    QueueThreshold,
    TickerMessage,
    TvLink,
    Widget,
)
from wallboard.monitoring.ids import parse_id
from wallboard.monitoring.models import ProviderAccount, Queue

# As many widget slots as there are widgets: each may be placed once.
SLOTS = len(Widget.choices)
TARGET_FIELDS = ("sla_target_pct", "sla_threshold_s", "max_wait_s")


def boards_in_scope(scope: Scope) -> QuerySet[Board]:
    """The boards this person may open: an admin every one; a supervisor or viewer those
    whose accounts they all see, and, when they see only some queues, whose queues are all
    among them (a board of no queues shows every queue of its accounts)."""
    boards = Board.objects.all()
    if scope.role is Role.ADMIN:
        return boards
    if scope.role not in (Role.SUPERVISOR, Role.VIEWER):
        return boards.none()
    boards = boards.exclude(accounts__in=ProviderAccount.objects.exclude(pk__in=scope.account_ids))
    if scope.queue_ids is not None:
        boards = boards.filter(queues__isnull=False).exclude(
            queues__in=Queue.objects.exclude(pk__in=scope.queue_ids)
        )
    return boards.distinct()


def editable_boards(scope: Scope) -> QuerySet[Board]:
    """The boards this person may edit: those in scope, for a supervisor or an admin."""
    if scope.role not in (Role.ADMIN, Role.SUPERVISOR):
        return Board.objects.none()
    return boards_in_scope(scope)


def editable_links(scope: Scope) -> QuerySet[TvLink]:
    """The links of the boards this person may edit that are not revoked (the editor's TV
    buttons act on these; anything else is a 404)."""
    return TvLink.objects.filter(board__in=editable_boards(scope), revoked_at=None)


class _QueueChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Queue) -> str:
        return f"{obj.account.name} · {obj.name}"


class BoardForm(forms.ModelForm):  # type: ignore[type-arg]
    """A board's page: what it shows, in what order, and how. The accounts and queues on
    offer are those in the person's scope; anything else sent is refused."""

    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts"),
        queryset=ProviderAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    queues = _QueueChoice(
        label=_("Queues"),
        queryset=Queue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every queue of the chosen accounts."),
    )

    class Meta:
        model = Board
        fields = ["name", "accounts", "queues", "agent_grid", "rotate_s", "theme", "sound"]
        labels = {
            "rotate_s": _("Rotation interval (s)"),
            "agent_grid": _("Agent grid"),
            "theme": _("Theme"),
            "sound": _("Sound on alarm"),
        }

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["accounts"].queryset = scope.accounts()  # type: ignore[attr-defined]
        self.fields["queues"].queryset = self.offered_queues()  # type: ignore[attr-defined]
        placed = self.instance.widgets if self.instance.pk else Board().widgets
        choices = [("", "—"), *Widget.choices]
        for n in range(SLOTS):
            self.fields[f"slot_{n}"] = forms.ChoiceField(
                label=_("Widget %(n)d") % {"n": n + 1},
                choices=choices,
                required=False,
                initial=placed[n] if n < len(placed) else "",
            )
        self.targets = [
            TargetsForm(
                *args,
                queue=queue,
                instance=QueueThreshold.objects.filter(
                    board_id=self.instance.pk, queue=queue
                ).first(),
                prefix=f"q{queue.pk}",
            )
            for queue in self.offered_queues()
        ]

    def offered_queues(self) -> QuerySet[Queue]:
        queues = Queue.objects.filter(account_id__in=self.scope.account_ids)
        if self.scope.queue_ids is not None:
            queues = queues.filter(pk__in=self.scope.queue_ids)
        return queues.select_related("account").order_by("account__name", "name")

    def slot_fields(self) -> list[forms.BoundField]:
        return [self[f"slot_{n}"] for n in range(SLOTS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        accounts = list(data.get("accounts") or ())
        queues = list(data.get("queues") or ())
        outside = [q for q in queues if q.account_id not in {a.pk for a in accounts}]
        if outside:
            self.add_error(
                "queues",
                _("Not in a chosen account: %(queues)s")
                % {"queues": ", ".join(q.name for q in outside)},
            )
        if self.scope.queue_ids is not None and not queues and "queues" not in self.errors:
            self.add_error(
                "queues",
                _("You see only some queues of these accounts: tick the queues to show."),
            )
        placed = [data.get(f"slot_{n}") or "" for n in range(SLOTS)]
        widgets = [w for w in placed if w]
        twice = sorted({w for w in widgets if widgets.count(w) > 1})
        if twice:
            raise forms.ValidationError(
                _("Each widget may be placed once: %(widgets)s is placed twice.")
                % {"widgets": ", ".join(str(Widget(w).label) for w in twice)}
            )
        if not widgets:
            raise forms.ValidationError(_("Place at least one widget."))
        grid = data.get("agent_grid")
        if grid == AgentGrid.HIDDEN:
            widgets = [w for w in widgets if w != Widget.AGENTS]
        elif grid and Widget.AGENTS not in widgets:
            self.add_error(
                "agent_grid",
                _("Place the agent grid in one of the widget slots, or choose “Hidden”."),
            )
        data["widgets"] = widgets
        return data

    def is_valid(self) -> bool:
        # Every form's errors are wanted at once, not the first form's only.
        valid = super().is_valid()
        return all([valid, *(t.is_valid() for t in self.targets)])

    def save(self, commit: bool = True) -> Board:
        board: Board = super().save(commit=False)
        board.widgets = self.cleaned_data["widgets"]
        with transaction.atomic():
            board.save()
            self.save_m2m()
            shown = {q.pk for q in self.cleaned_data["queues"]}
            for targets in self.targets:
                if shown and targets.queue.pk not in shown:
                    continue
                targets.save_for(board)
        return board


class TargetsForm(forms.ModelForm):  # type: ignore[type-arg]
    """One queue's targets on a board (blank: none; the board's limits apply)."""

    class Meta:
        model = QueueThreshold
        fields = list(TARGET_FIELDS)
        widgets = {name: forms.NumberInput(attrs={"size": 5}) for name in TARGET_FIELDS}
        labels = {
            "sla_target_pct": _("SLA target %"),
            "sla_threshold_s": _("answered within (s)"),
            "max_wait_s": _("max wait (s)"),
        }

    def __init__(self, *args: Any, queue: Queue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = queue

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("sla_target_pct") is None) != (data.get("sla_threshold_s") is None):
            raise forms.ValidationError(
                _("An SLA target needs both its percentage and its seconds (say 80 and 20).")
            )
        return data

    def save_for(self, board: Board) -> None:
        row: QueueThreshold = self.save(commit=False)
        empty = all(getattr(row, name) is None for name in TARGET_FIELDS)
        if row.pk is None and empty:
            return
        row.board, row.queue = board, self.queue
        row.save()


def board_for(scope: Scope, value: str) -> Board | None:
    """The board ``?board=`` names, if this person may open it (else None: text that is
    no id, a board out of scope)."""
    board_id = parse_id(value)
    return boards_in_scope(scope).filter(pk=board_id).first() if board_id else None


# How long a ticker message stays up, in minutes.
TICKER_MINUTES = [
    ("15", _("15 minutes")),
    ("60", _("1 hour")),
    ("240", _("4 hours")),
    ("1440", _("1 day")),
]


class TickerForm(forms.Form):
    """A message for the board's screens (``live.signals`` pushes it on commit)."""

    text = forms.CharField(label=_("Message"), max_length=280, strip=True)
    minutes = forms.TypedChoiceField(
        label=_("Shown for"), choices=TICKER_MINUTES, coerce=int, initial="60"
    )

    def save_for(self, board: Board, user_id: int | None) -> TickerMessage:
        return TickerMessage.objects.create(
            board=board,
            text=self.cleaned_data["text"],
            expires_at=timezone.now() + timedelta(minutes=self.cleaned_data["minutes"]),
            created_by_id=user_id,
        )


class TvLinkForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new TV link of a board, named after the screen that will show it."""

    class Meta:
        model = TvLink
        fields = ["label"]
        labels = {"label": _("Name of the screen")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].required = True
