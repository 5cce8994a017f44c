"""A page a person may not open, or that is not there, answers in the site's own layout:
what happened, in their language, and the way back. Not a bare line of text."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

REFUSED = [
    ("/console/", "The console is for supervisors and admins."),
    ("/membership/", "The membership editor is for admins."),
    ("/boards/", "Boards are edited by supervisors and admins."),
    ("/notifications/", "Notifications are set up by supervisors and admins."),
    ("/reports/", "Reports are for supervisors and admins."),
]


def _client(username: str, role: str, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(make_user(username, role))
    return client


@pytest.mark.parametrize(("path", "message"), REFUSED)
def test_a_page_the_role_may_not_open_says_why_in_the_layout(path: str, message: str) -> None:
    response = _client("agent", "agent").get(path)
    assert response.status_code == 403
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/wallboard.css">' in page
    assert f'<p class="feedback error" role="alert">{message}</p>' in page
    assert '<a href="/">Back to the start page</a>' in page
    assert "Signed in as agent." in page


def test_the_refusal_is_in_the_users_language() -> None:
    response = _client("operator", "supervisor", language="pl").get("/membership/")
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="pl">' in page
    assert "Brak dostępu" in page
    assert "Wróć do strony startowej" in page
    assert "The membership editor is for admins." not in page


def test_a_page_that_is_not_there_names_the_address() -> None:
    response = _client("operator", "supervisor").get("/boards/424242/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/wallboard.css">' in page
    assert "There is nothing at /boards/424242/ that you may see." in page


def test_a_signed_out_visitor_is_offered_no_sign_out() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Back to the start page" in page
    assert "Signed in as" not in page
    assert 'action="/logout/"' not in page


def test_an_address_with_markup_is_shown_as_text() -> None:
    page = Client().get("/<script>alert(1)</script>/").content.decode()
    assert "<script>alert" not in page
