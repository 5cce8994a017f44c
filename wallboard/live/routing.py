from django.urls import path

from wallboard.live.consumers import AgentPanelConsumer, BoardConsumer, TvConsumer

websocket_urlpatterns = [
    path("ws/board/", BoardConsumer.as_asgi()),
    path("ws/me/", AgentPanelConsumer.as_asgi()),
    path("ws/tv/<str:token>/", TvConsumer.as_asgi()),
]
