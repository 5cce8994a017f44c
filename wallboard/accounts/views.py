"""Signing in: Django's login view behind a rate limit per client address and user name,
and the page django-axes shows to a locked-out user name and address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from wallboard.accounts.clientip import client_ip

TOO_MANY_REQUESTS = 429


def _address_and_name(group: str, request: HttpRequest) -> str:
    return f"{client_ip(request)}|{request.POST.get('username', '')}"


class SignInView(LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = get_usage(
            request,
            group="login",
            key=_address_and_name,
            rate=settings.LOGIN_RATE_LIMIT,
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return super().post(request, *args, **kwargs)
        # An unbound form: validating the posted one would try the password after all.
        form = self.get_form_class()(request, initial={"username": request.POST.get("username")})
        refusal = _("Too many sign-in attempts. Wait %(seconds)s seconds and try again.") % {
            "seconds": max(usage["time_left"], 1)
        }
        context = self.get_context_data(form=form, refusal=refusal)
        return self.render_to_response(context, status=TOO_MANY_REQUESTS)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any]
) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT},
        status=TOO_MANY_REQUESTS,
    )
