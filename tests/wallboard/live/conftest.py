"""A real uvicorn process (as production runs it) on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.processes import Server, serve


@pytest.fixture
def web_server(transactional_db: None) -> Iterator[Server]:
    with serve() as server:
        yield server
