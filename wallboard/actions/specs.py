"""The actions a person can take, as data: capability, form, who may, what to call.

The console builds its menus from this table filtered by the account's declared provider
capabilities; the server validates every parameter with the action's form before anything
is sent to the vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from providers.base import AgentRef, Capability, ListenMode, Provider, TransferKind
from wallboard.accounts.access import Target
from wallboard.monitoring.models import ActiveCall, Agent, PauseReason, ProviderAccount, Queue

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LISTEN_LABELS = {
    ListenMode.SPY: _("Spy"),
    ListenMode.WHISPER: _("Whisper"),
    ListenMode.WHISPER_PRIVATE: _("Whisper (agent only)"),
    ListenMode.BARGE: _("Barge"),
    ListenMode.INTERACTIVE: _("Interactive"),
}
TRANSFER_LABELS = {TransferKind.ATTENDED: _("attended"), TransferKind.BLIND: _("blind")}

phone_number = RegexValidator(
    r"^\+?[0-9*#]{1,32}$",
    _("Enter a phone number: digits, * or #, optionally a leading +, at most 32."),
)


def agent_ref(agent: Agent) -> AgentRef:
    return AgentRef(
        id=agent.vendor_id,
        login=agent.login,
        extension=agent.extension or None,
        number=agent.vendor_number or None,
        pin=agent.pin or None,
    )


class ActionForm(forms.Form):
    """Base form: choice fields are limited to the account's own rows."""

    def __init__(
        self, data: Any, *, account: ProviderAccount, provider: Provider, listener: str = ""
    ) -> None:
        super().__init__(data)
        self.account = account
        self.provider = provider
        self.listener = listener
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                model = field.queryset.model
                if model in (Queue, Agent, ActiveCall, PauseReason):
                    field.queryset = model._default_manager.filter(account=account)

    def target(self) -> Target:
        """What the valid form's action is done to (``access.Scope.may_act`` judges it)."""
        cleaned = self.cleaned_data
        return Target(
            agent=cleaned.get("agent"), call=cleaned.get("call"), queue=cleaned.get("queue")
        )


class AgentForm(ActionForm):
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), label=_("Agent"))


class PauseForm(AgentForm):
    reason = forms.ModelChoiceField(
        queryset=PauseReason.objects.none(), required=False, label=_("Reason")
    )
    force = forms.BooleanField(required=False, label=_("Even during a call"))

    def clean_reason(self) -> PauseReason | None:
        reason: PauseReason | None = self.cleaned_data.get("reason")
        reasons = PauseReason.objects.filter(account=self.account)
        if reason is None and self.provider.supports(Capability.PAUSE_REASONS) and reasons.exists():
            raise forms.ValidationError(_("Choose a pause reason."))
        return reason


class ListenForm(AgentForm):
    mode = forms.ChoiceField(label=_("Mode"))

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["mode"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.value, LISTEN_LABELS[m]) for m in self.provider.listen_modes]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.listener:
            raise forms.ValidationError(
                _("Set your own extension in your profile first: listen-in calls ring there.")
            )
        return cleaned


class CallForm(ActionForm):
    call = forms.ModelChoiceField(queryset=ActiveCall.objects.none(), label=_("Call"))


class TransferForm(CallForm):
    kind = forms.ChoiceField(
        choices=[(k.value, label) for k, label in TRANSFER_LABELS.items()],
        initial=TransferKind.ATTENDED.value,
        label=_("Transfer"),
    )
    number = forms.CharField(
        required=False, max_length=33, validators=[phone_number], label=_("To number")
    )
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(), required=False, label=_("To queue")
    )
    user = forms.ModelChoiceField(
        queryset=Agent.objects.none(), required=False, label=_("To agent")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        targets = [t for t in ("number", "queue", "user") if cleaned.get(t)]
        if len(targets) != 1:
            raise forms.ValidationError(
                _("Choose exactly one target: a number, a queue or an agent.")
            )
        call = cleaned.get("call")
        if call is not None and call.agent is None:
            raise forms.ValidationError(
                _("Only a call that an agent has answered can be transferred.")
            )
        return cleaned

    def target(self) -> Target:
        """The call, and where it goes: this form's queue and agent are destinations."""
        cleaned = self.cleaned_data
        return Target(
            call=cleaned["call"],
            to_queue=cleaned.get("queue"),
            to_agent=cleaned.get("user"),
            to_number=cleaned.get("number") or "",
        )


class QueueForm(AgentForm):
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), label=_("Queue"))


class QueueLoginForm(QueueForm):
    penalty = forms.IntegerField(required=False, label=_("Penalty / priority"))

    def clean_penalty(self) -> int | None:
        penalty: int | None = self.cleaned_data.get("penalty")
        low, high = self.provider.penalty_range
        if penalty is not None and not low <= penalty <= high:
            raise forms.ValidationError(
                _("%(vendor)s accepts a penalty from %(low)s to %(high)s.")
                % {"vendor": self.provider.title, "low": low, "high": high}
            )
        return penalty


class LoginForm(AgentForm):
    extension = forms.CharField(
        required=False, max_length=33, validators=[phone_number], label=_("Extension")
    )


class OriginateForm(AgentForm):
    number = forms.CharField(max_length=33, validators=[phone_number], label=_("Number"))


Run = Callable[[Provider, dict[str, Any], ActionForm], None]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: StrOrPromise
    capability: Capability
    form: type[ActionForm]
    run: Run
    destructive: bool = False
    # Agents may do this to themselves (pause, unpause, their own queues).
    self_service: bool = False


def _call_agent(call: ActiveCall) -> AgentRef | None:
    return agent_ref(call.agent) if call.agent else None


def _transfer(p: Provider, c: dict[str, Any], form: ActionForm) -> None:
    call: ActiveCall = c["call"]
    agent = _call_agent(call)
    assert agent is not None  # the form refuses unanswered calls
    p.transfer(
        agent,
        kind=TransferKind(c["kind"]),
        number=c.get("number") or None,
        queue_id=c["queue"].vendor_id if c.get("queue") else None,
        user_id=c["user"].vendor_id if c.get("user") else None,
    )


def _hangup(p: Provider, c: dict[str, Any], form: ActionForm) -> None:
    call: ActiveCall = c["call"]
    p.hangup(agent=_call_agent(call), call_id=call.call_id, channel=call.channel or None)


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "pause",
            _("Pause"),
            Capability.PAUSE,
            PauseForm,
            lambda p, c, f: p.pause(
                agent_ref(c["agent"]),
                c["reason"].vendor_id if c.get("reason") else None,
                force=bool(c.get("force")),
            ),
            self_service=True,
        ),
        ActionSpec(
            "unpause",
            _("Unpause"),
            Capability.PAUSE,
            AgentForm,
            lambda p, c, f: p.unpause(agent_ref(c["agent"])),
            self_service=True,
        ),
        ActionSpec(
            "listen",
            _("Listen in"),
            Capability.LISTEN,
            ListenForm,
            lambda p, c, f: p.listen(agent_ref(c["agent"]), f.listener, ListenMode(c["mode"])),
        ),
        ActionSpec("transfer", _("Transfer"), Capability.TRANSFER, TransferForm, _transfer),
        ActionSpec("hangup", _("Hang up"), Capability.HANGUP, CallForm, _hangup, destructive=True),
        ActionSpec(
            "queue_login",
            _("Log into queue"),
            Capability.QUEUE_MEMBERSHIP_EDIT,
            QueueLoginForm,
            lambda p, c, f: p.add_to_queue(
                agent_ref(c["agent"]), c["queue"].vendor_id, c.get("penalty")
            ),
            self_service=True,
        ),
        ActionSpec(
            "queue_logout",
            _("Log out of queue"),
            Capability.QUEUE_MEMBERSHIP_EDIT,
            QueueForm,
            lambda p, c, f: p.remove_from_queue(agent_ref(c["agent"]), c["queue"].vendor_id),
            destructive=True,
            self_service=True,
        ),
        ActionSpec(
            "agent_login",
            _("Log in"),
            Capability.AGENT_LOGIN,
            LoginForm,
            lambda p, c, f: p.agent_login(agent_ref(c["agent"]), c.get("extension") or None),
        ),
        ActionSpec(
            "agent_logout",
            _("Log out"),
            Capability.AGENT_LOGIN,
            AgentForm,
            lambda p, c, f: p.agent_logout(agent_ref(c["agent"])),
            destructive=True,
        ),
        ActionSpec(
            "set_default_campaign",
            _("Make default outbound campaign"),
            Capability.DEFAULT_CAMPAIGN,
            QueueForm,
            lambda p, c, f: p.set_default_campaign(agent_ref(c["agent"]), c["queue"].vendor_id),
        ),
        ActionSpec(
            "originate",
            _("Call a number"),
            Capability.CLICK_TO_CALL,
            OriginateForm,
            lambda p, c, f: p.originate(agent_ref(c["agent"]), c["number"]),
        ),
    )
}
