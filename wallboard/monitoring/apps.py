from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "wallboard.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
