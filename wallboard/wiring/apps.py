from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "wallboard.wiring"
    label = "wiring"
    verbose_name = "Wiring"  # no models: never shown
