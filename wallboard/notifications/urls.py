from django.urls import path

from wallboard.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("boards/<int:board_id>/rules/new/", views.rule_new, name="rule-new"),
    path("boards/<int:board_id>/deliveries/", views.deliveries, name="deliveries"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
]
