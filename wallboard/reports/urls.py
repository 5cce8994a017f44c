from __future__ import annotations

from django.urls import path

from wallboard.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:account_id>/", views.day_report, name="day"),
    path("<int:account_id>/agents.csv", views.agents_csv, name="agents-csv"),
    path("<int:account_id>/queues.csv", views.queues_csv, name="queues-csv"),
]
