"""Submit a Django admin form as a person does: load the page, keep every field as the page
filled it, change what the person changes, and post it."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client

Fields = dict[str, list[str]]


class _FormFields(HTMLParser):
    """The fields of the page's main form (``id`` ending in ``_form``), as a browser would
    send them untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: Fields = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or "name" not in a:
            if tag == "option" and self._select is not None and "selected" in a:
                self.fields.setdefault(self._select, []).append(a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea][0] += data


def admin_form(client: Client, url: str) -> Fields:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    parser = _FormFields()
    parser.feed(page.content.decode())
    return parser.fields


def submit_admin_form(client: Client, url: str, changes: dict[str, Any]) -> Any:
    """Post the form at ``url`` with ``changes`` (a value of None unchecks/clears a field;
    a list sets a multi-value field). Returns the response; a saved form redirects."""
    fields = admin_form(client, url)
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        elif isinstance(value, list | tuple):
            fields[name] = [str(v) for v in value]
        else:
            fields[name] = [str(value)]
    reply = client.post(url, fields)
    assert reply.status_code == 302, reply.content.decode()[:3000]
    return reply
