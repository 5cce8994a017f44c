"""The client's address, as django-axes and the rate limits count it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the trusted proxy wrote into ``CLIENT_IP_HEADER``.

    A proxy appends the address it received the request from, so the N-th entry from the
    right (N = ``TRUSTED_PROXY_COUNT``) is the client; entries further left came from the
    client itself and may be forged.
    """
    remote: str = request.META.get("REMOTE_ADDR") or ""
    if not settings.CLIENT_IP_HEADER:
        return remote
    header = request.headers.get(settings.CLIENT_IP_HEADER, "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < settings.TRUSTED_PROXY_COUNT:
        return remote
    return hops[-settings.TRUSTED_PROXY_COUNT]
