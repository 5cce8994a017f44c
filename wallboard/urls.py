from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from wallboard.dashboards import views

urlpatterns = [
    path("", views.board, name="board"),
    path("api/v1/accounts/<int:account_id>/state", views.account_state, name="account-state"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
