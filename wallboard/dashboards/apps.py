from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "wallboard.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
