from django.urls import path, re_path

from wallboard.api.api import api, no_such_path

urlpatterns = [
    # Before ninja's own root (only there for reversing, and a bare HTML 404).
    path("", no_such_path),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", no_such_path),
]
