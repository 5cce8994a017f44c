"""A token's life: made in the profile or the admin and shown once, kept only as a digest,
used as its owner with the owner's rights of the moment, revoked or expired at once."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.admin_forms import admin_form
from tests.conftest import make_user
from tests.wallboard.api.conftest import token_for
from wallboard.accounts.models import ApiToken
from wallboard.accounts.tokens import LAST_USED_PRECISION, MAX_TOKENS_PER_USER, TOKEN_SHAPE

pytestmark = [pytest.mark.django_db]

SHOWN = re.compile(r'<code class="api-token">(wbt_[^<]+)</code>')


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(token: str, path: str = "/api/v1/me") -> Any:
    return Client().get(path, headers={"Authorization": f"Bearer {token}"})


def _create(client: Client, name: str = "Grafana", expires: str = "90") -> str:
    response = client.post("/profile/tokens/", {"name": name, "expires": expires})
    assert response.status_code == 200
    (token,) = SHOWN.findall(response.content.decode())
    return str(token)


def test_a_token_made_in_the_profile_is_shown_once_and_kept_only_as_a_digest() -> None:
    user = make_user("sup", "supervisor")
    client = _signed_in(user)
    token = _create(client)
    assert TOKEN_SHAPE.fullmatch(token)
    row = ApiToken.objects.get(user=user)
    assert row.name == "Grafana"
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert token not in stored
    assert token[len("wbt_") + 9 :] not in stored, "no part of the secret is kept"
    assert timedelta(days=89) < row.expires_at - timezone.now() <= timedelta(days=90)
    page = client.get("/profile/").content.decode()
    assert token not in page
    assert f"wbt_{row.key_id}…" in page
    assert "Grafana" in page
    assert _api(token).json()["username"] == "sup"


def test_two_tokens_differ_and_each_opens_only_with_itself() -> None:
    user = make_user("sup", "supervisor")
    first, second = token_for(user, "a"), token_for(user, "b")
    assert first != second
    assert first[:12] != second[:12]
    assert _api(first).status_code == _api(second).status_code == 200
    forged = first[:13] + second[13:]
    assert _api(forged).status_code == 401


def test_last_used_is_written_at_most_once_a_minute() -> None:
    token = token_for(make_user("sup", "supervisor"))
    row = ApiToken.objects.get()
    assert row.last_used_at is None
    assert _api(token).status_code == 200
    row.refresh_from_db()
    first_use = row.last_used_at
    assert first_use is not None
    assert timezone.now() - first_use < timedelta(seconds=10)
    assert _api(token).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == first_use
    ApiToken.objects.update(last_used_at=first_use - LAST_USED_PRECISION)
    assert _api(token).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at > first_use


def test_revoking_in_the_profile_stops_the_token_at_once() -> None:
    user = make_user("sup", "supervisor")
    client = _signed_in(user)
    token = _create(client)
    kept = _create(client, "other")
    assert _api(token).status_code == 200
    row = ApiToken.objects.get(name="Grafana")
    response = client.post(f"/profile/tokens/{row.pk}/revoke/")
    assert response.status_code == 302
    refused = _api(token)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This API token is not valid: mistyped, or revoked."
    assert _api(kept).status_code == 200
    assert "Grafana" not in client.get("/profile/").content.decode()


def test_no_one_revokes_or_sees_another_persons_token() -> None:
    owner, other = make_user("sup", "supervisor"), make_user("sup2", "supervisor")
    token = token_for(owner, "secret-integration")
    row = ApiToken.objects.get()
    intruder = _signed_in(other)
    assert intruder.post(f"/profile/tokens/{row.pk}/revoke/").status_code == 404
    assert "secret-integration" not in intruder.get("/profile/").content.decode()
    assert _api(token).status_code == 200
    assert Client().post(f"/profile/tokens/{row.pk}/revoke/").status_code == 302  # to sign in
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_an_expired_token_is_refused_saying_so() -> None:
    client = _signed_in(make_user("sup", "supervisor"))
    token = _create(client, expires="30")
    row = ApiToken.objects.get()
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = _api(token)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This API token has expired."
    assert "expired" in client.get("/profile/").content.decode()


def test_a_token_that_never_expires() -> None:
    client = _signed_in(make_user("sup", "supervisor"))
    token = _create(client, expires="")
    assert ApiToken.objects.get().expires_at is None
    assert _api(token).status_code == 200


def test_a_disabled_person_s_tokens_stop_working() -> None:
    user = make_user("sup", "supervisor")
    token = token_for(user)
    user.is_active = False
    user.save()
    refused = _api(token)
    assert refused.status_code == 401
    assert "disabled" in refused.json()["detail"]


def test_a_token_follows_its_owners_role_at_each_request() -> None:
    user = make_user("sup", "supervisor")
    token = token_for(user)
    assert _api(token).json()["role"] == "supervisor"
    user.profile.role = "viewer"
    user.profile.save()
    assert _api(token).json()["role"] == "viewer"
    assert _api(token, "/api/v1/audit").status_code == 403


def test_the_profile_refuses_a_nameless_token_and_more_than_the_limit() -> None:
    user = make_user("sup", "supervisor")
    client = _signed_in(user)
    assert client.post("/profile/tokens/", {"name": "", "expires": "90"}).status_code == 400
    assert client.post("/profile/tokens/", {"name": "x", "expires": "7"}).status_code == 400
    for n in range(MAX_TOKENS_PER_USER):
        token_for(user, f"t{n}")
    response = client.post("/profile/tokens/", {"name": "one more", "expires": "90"})
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == MAX_TOKENS_PER_USER
    assert not SHOWN.search(response.content.decode())


def test_an_admin_makes_a_token_for_someone_shown_once_and_deletes_it() -> None:
    admin = get_user_model().objects.create_superuser("root", password="pw")
    sup = make_user("sup", "supervisor")
    client = _signed_in(admin)
    url = "/admin/accounts/apitoken/add/"
    fields = {**admin_form(client, url), "user": [str(sup.pk)], "name": ["Wallboard sync"]}
    response = client.post(url, fields)
    assert response.status_code == 200
    (token,) = SHOWN.findall(response.content.decode())
    assert _api(token).json()["username"] == "sup"
    row = ApiToken.objects.get()
    assert row.user == sup
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    assert f"wbt_{row.key_id}…" in listing
    assert token not in listing
    change = client.get(f"/admin/accounts/apitoken/{row.pk}/change/").content.decode()
    assert token not in change
    assert row.digest not in change
    client.post(f"/admin/accounts/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert not ApiToken.objects.exists()
    assert _api(token).status_code == 401
