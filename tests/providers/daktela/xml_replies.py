"""The manual's sample replies in XML, written by the simulator's own XML renderer.

The manual shows JSON only; ``to_xml`` renders a JSON reply the way ``DaktelaSimulator``
answers an ``/xml`` URL (see its module docstring), so the XML tests read exactly what the
JSON tests read. ``XmlReplies`` is ``DaktelaReplies`` speaking XML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from providers.daktela.simulator import _xml_element
from tests.providers.daktela.fake_daktela import DaktelaReplies


def render(envelope: dict[str, Any]) -> bytes:
    """An envelope as the simulator's ``_render`` writes it for ``/xml``."""
    inner = "".join(_xml_element(key, value) for key, value in envelope.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<response>{inner}</response>'.encode()


def to_xml(json_body: bytes) -> bytes:
    """A JSON reply (the manual's CreateCall 3.1 with its extra "}" too) as XML."""
    envelope, _end = json.JSONDecoder().raw_decode(json_body.decode("utf-8-sig").strip())
    return render(envelope)


@dataclass
class XmlReplies:
    """``DaktelaReplies`` behind ``/xml`` URLs: the same replies, rendered as XML."""

    json_replies: DaktelaReplies = field(default_factory=DaktelaReplies)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path.endswith("/xml"), request.url.path
        json_url = request.url.copy_with(path=request.url.path.removesuffix("xml") + "json")
        reply = self.json_replies(httpx.Request(request.method, json_url))
        if reply.status_code != 200:
            return reply
        return httpx.Response(
            200, content=to_xml(reply.content), headers={"Content-Type": "application/xml"}
        )
