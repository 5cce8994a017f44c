"""What a request may say in its path and query: ids and days, checked as the pages check
them (``wallboard.monitoring.ids``), so that text that is no id is a 400, not a 404 or 500."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from annotated_types import Ge, Le
from django.utils.translation import gettext as _
from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from wallboard.monitoring.ids import LARGEST_ID, parse_id

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _row_id(value: object) -> int:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    pk = parse_id(text) if isinstance(text, str) else None
    if pk is None:
        raise PydanticCustomError(
            "not_an_id",
            _("not an id: a whole number from 1 to {largest}"),
            {"largest": LARGEST_ID},
        )
    return pk


def _day(value: object) -> date:
    try:
        if isinstance(value, str) and ISO_DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise PydanticCustomError("not_a_day", _("not a day: write it as YYYY-MM-DD"))


RowId = Annotated[int, Ge(1), Le(LARGEST_ID), BeforeValidator(_row_id)]
Day = Annotated[date, BeforeValidator(_day)]
# Text a PostgreSQL column can hold and an index can compare: no NUL, not unbounded.
SearchText = Annotated[str, StringConstraints(max_length=150, pattern=r"^[^\x00]*$")]


class BadParameter(Exception):
    """A parameter of the right type that the operation still cannot take (a day outside
    the history kept): a 400 naming it, like a parameter of the wrong type."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(parameter, message)
        self.parameter = parameter
        self.message = message
