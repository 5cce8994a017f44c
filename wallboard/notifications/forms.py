"""The rule form, shared by the app's page and the Django admin, so both refuse the same
bad input with the same words."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext_lazy as _

from wallboard.dashboards.models import Board
from wallboard.monitoring.models import Queue
from wallboard.notifications.models import URL_CHANNELS, Channel, Rule, split_recipients

EVENT_FIELDS = ["on_warning", "on_alarm", "on_stale", "on_recovered"]
SECRET_MIN_LENGTH = 16


def board_queues(board: Board | None) -> Any:
    """The queues a rule of this board may be narrowed to: those the board shows."""
    if board is None:
        return Queue.objects.select_related("account").order_by("account__name", "name")
    shown = board.queues.all()
    queues = shown if shown.exists() else Queue.objects.filter(account__in=board.accounts.all())
    return queues.select_related("account").order_by("account__name", "name")


class QueueChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Queue) -> str:
        return f"{obj.name} ({obj.account.name})"


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.CharField(
        label=_("URL"),
        required=False,
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://…", "size": 60}),
        help_text=_("Webhook, Slack or Teams: the address messages are posted to."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Webhook only. Leave empty to keep the current secret; a new webhook without one "
            "gets a random secret, shown once after saving."
        ),
    )
    queues = QueueChoice(
        label=_("Queues"),
        queryset=Queue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every queue of the board."),
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "enabled",
            "channel",
            "url",
            "recipients",
            *EVENT_FIELDS,
            "queues",
            "language",
        ]
        widgets = {"recipients": forms.TextInput(attrs={"size": 60})}

    def __init__(self, *args: Any, board: Board | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The secret beside the URL it signs for.
        self.order_fields(["board", "name", "enabled", "channel", "url", "secret", "recipients"])
        self.board = board
        self.fields["queues"].queryset = board_queues(board)  # type: ignore[attr-defined]
        # Set by save() when it made up a webhook's secret: shown to the person once.
        self.generated_secret = ""

    def _board(self) -> Board | None:
        chosen = self.cleaned_data.get("board")
        return chosen if isinstance(chosen, Board) else self.board

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel")
        url = (data.get("url") or "").strip()
        if channel in URL_CHANNELS:
            if not url:
                self.add_error(
                    "url",
                    _("A %(channel)s rule needs the URL to post to.")
                    % {"channel": Channel(channel).label},
                )
            else:
                try:
                    URLValidator(schemes=["http", "https"])(url)
                except ValidationError:
                    self.add_error(
                        "url",
                        _(
                            "“%(url)s” is not a web address: enter the whole URL, starting "
                            "with https:// (or http://), as the receiving service shows it."
                        )
                        % {"url": url},
                    )
        if channel == Channel.EMAIL:
            addresses = split_recipients(data.get("recipients") or "")
            if not addresses:
                self.add_error("recipients", _("An e-mail rule needs at least one address."))
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    self.add_error(
                        "recipients",
                        _("“%(address)s” is not an e-mail address.") % {"address": address},
                    )
        secret = data.get("secret") or ""
        if channel == Channel.WEBHOOK and secret and len(secret) < SECRET_MIN_LENGTH:
            self.add_error(
                "secret",
                _("Use at least %(count)d characters (or leave it empty for a random one).")
                % {"count": SECRET_MIN_LENGTH},
            )
        if not any(data.get(name) for name in EVENT_FIELDS):
            raise ValidationError(_("Tick at least one event to notify about."))
        board = self._board()
        outside = [
            q
            for q in data.get("queues") or ()
            if board is not None and q not in board_queues(board)
        ]
        if outside:
            self.add_error(
                "queues",
                _("Not on this board: %(queues)s") % {"queues": ", ".join(q.name for q in outside)},
            )
        return data

    def save(self, commit: bool = True) -> Rule:
        rule: Rule = super().save(commit=False)
        if self.board is not None:
            rule.board = self.board
        if rule.channel in URL_CHANNELS:
            rule.recipients = ""
        else:
            rule.url = ""
        if rule.channel == Channel.WEBHOOK:
            if self.cleaned_data.get("secret"):
                rule.secret = self.cleaned_data["secret"]
            elif not rule.secret:
                rule.secret = self.generated_secret = secrets.token_urlsafe(32)
        else:
            rule.secret = ""
        if commit:
            rule.save()
            self.save_m2m()
        return rule


class AdminRuleForm(RuleForm):
    """The admin's form: the board is chosen in it."""

    class Meta(RuleForm.Meta):
        fields = ["board", *RuleForm.Meta.fields]
