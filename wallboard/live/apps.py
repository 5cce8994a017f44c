from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "wallboard.live"
    label = "live"
    verbose_name = _("Live updates")

    def ready(self) -> None:
        from wallboard.live import signals  # noqa: F401 - connects the receivers
        from wallboard.live.outage import mute_receive_task_repeats

        mute_receive_task_repeats()
