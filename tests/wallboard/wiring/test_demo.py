"""The demo's set-up: one simulated account per vendor, polled, and the three demo users."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from providers.simulators import SIMULATORS
from wallboard.accounts.models import AgentLink, Profile
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.management.commands.demo import Command

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_demo_sets_up_every_vendor_and_the_demo_users() -> None:
    command = Command(stdout=io.StringIO())
    servers = command._simulators({"agents": 6, "queues": 2, "seed": 7})
    try:
        command._users()
        assert sorted(ProviderAccount.objects.values_list("vendor", flat=True)) == sorted(
            SIMULATORS
        )
        assert not ProviderAccount.objects.filter(stale=True).exists()
        assert Agent.objects.values("account").distinct().count() == len(SIMULATORS)
        users = get_user_model().objects
        assert users.get(username="admin").is_superuser
        assert Profile.objects.get(user__username="supervisor").accounts.count() == len(SIMULATORS)
        assert AgentLink.objects.filter(user__username="agent1").exists()
        assert users.get(username="agent1").check_password("demo")
    finally:
        for server in servers:
            server.stop()
