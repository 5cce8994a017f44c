from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wallboard.accounts.views import SignInView
from wallboard.actions import views as action_views
from wallboard.dashboards import board_views, views
from wallboard.live import views as live_views
from wallboard.live.slots import tv_screens
from wallboard.wiring.refresh import after_action

# The board editor's pages see the TVs' sockets through the live layer (board_views).
FLEET = {"screens_of": tv_screens}

urlpatterns = [
    path("", views.home, name="home"),
    path("board/", views.board, name="board"),
    path("console/", views.console, name="console"),
    path("boards/", board_views.board_list, name="boards"),
    path("boards/new/", board_views.board_edit, FLEET, name="board-new"),
    path("boards/<int:board_id>/", board_views.board_edit, FLEET, name="board-edit"),
    path("boards/<int:board_id>/ticker/", board_views.board_ticker, FLEET, name="board-ticker"),
    path("boards/<int:board_id>/tvs/", board_views.board_tvs, FLEET, name="board-tvs"),
    path("boards/<int:board_id>/tvs/new/", board_views.tv_link_new, FLEET, name="tv-link-new"),
    path("boards/tv/<int:link_id>/revoke/", board_views.tv_link_revoke, name="tv-revoke"),
    *(
        path(f"boards/tv/<int:link_id>/{c}/", live_views.tv_command, {"command": c}, name=f"tv-{c}")
        for c in ("identify", "reload")
    ),
    path("boards/preview/", board_views.board_preview, name="board-preview"),
    path("console/agent/<int:agent_id>/", views.agent_panel, name="agent-panel"),
    path("me/", views.my_panel, name="my-panel"),
    path("membership/", views.membership, name="membership"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.create_api_token, name="create-api-token"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke-api-token"),
    path("tv/<str:token>/", views.tv, name="tv"),
    # The wiring's refresh follows each successful action (actions never import the wiring).
    path(
        "actions/<int:account_id>/<str:action>/",
        action_views.act,
        {"after_action": after_action},
        name="act",
    ),
    path("audit/", action_views.audit_log, name="audit-log"),
    path("api/v1/", include("wallboard.api.urls")),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reports/", include("wallboard.reports.urls")),
    path("notifications/", include("wallboard.notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
