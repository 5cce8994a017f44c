"""RTUsersState with ``UsersReuse``: unchanged users are not parsed again, and the result is
always what a fresh parse of the same reply gives."""

from __future__ import annotations

import copy
import json
from typing import Any
from zoneinfo import ZoneInfo

from providers.daktela import parse
from providers.model import PauseReason, PauseType
from tests.providers.daktela.fake_daktela import load

PRAGUE = ZoneInfo("Europe/Prague")
PAUSES = {
    "6": PauseReason(id="6", title="Lunch", type=PauseType.NORMAL),
    "7": PauseReason(id="7", title="Wrap", type=PauseType.WRAP),
}


def _users(count: int) -> dict[str, Any]:
    """``count`` users shaped like the manual's RTUsersState sample."""
    [template] = json.loads(load("RTUsersState_4.1.json"))["result"].values()
    users = {}
    for i in range(1, count + 1):
        user = copy.deepcopy(template)
        user.update(id_agent=str(i), agent_name=f"agent{i}", exten=str(500 + i))
        users[str(i)] = user
    return users


def _body(users: dict[str, Any]) -> bytes:
    return json.dumps({"status": 1, "error": None, "result": users}).encode()


def _parse(users: dict[str, Any], reuse: parse.UsersReuse) -> parse.UsersState:
    return parse.parse_rt_users_state(_body(users), PRAGUE, PAUSES, reuse=reuse)


def test_unchanged_users_are_reused_and_the_result_equals_a_fresh_parse() -> None:
    reuse = parse.UsersReuse()
    users = _users(3)
    first = _parse(users, reuse)
    users["2"].update(agent_state="Paused", id_pause="7", onpause="2016-09-26 15:40:00")
    second = _parse(users, reuse)

    assert second == parse.parse_rt_users_state(_body(users), PRAGUE, PAUSES)
    assert second.agents[0] is first.agents[0]
    assert second.agents[2] is first.agents[2]
    assert second.agents[1] is not first.agents[1]
    assert second.agents[1].pause_reason == "Wrap"


def test_changed_pause_reasons_parse_every_user_again() -> None:
    reuse = parse.UsersReuse()
    users = _users(2)
    users["1"].update(agent_state="Paused", id_pause="6", onpause="2016-09-26 15:40:00")
    first = _parse(users, reuse)
    renamed = {**PAUSES, "6": PauseReason(id="6", title="Break", type=PauseType.NORMAL)}
    second = parse.parse_rt_users_state(_body(users), PRAGUE, renamed, reuse=reuse)

    assert second.agents[0].pause_reason == "Break"
    assert second.agents[1] is not first.agents[1]
    assert second == parse.parse_rt_users_state(_body(users), PRAGUE, renamed)


def test_only_the_latest_reply_is_kept() -> None:
    reuse = parse.UsersReuse()
    users = _users(2)
    first = _parse(users, reuse)
    _parse({"2": users["2"]}, reuse)  # user 1 logged out
    third = _parse(users, reuse)

    assert third.agents[0] == first.agents[0]
    assert third.agents[0] is not first.agents[0]


def test_a_reply_equal_to_the_previous_one_gives_the_previous_result() -> None:
    reuse = parse.UsersReuse()
    users = _users(2)
    first = _parse(users, reuse)
    assert _parse(users, reuse) is first
    renamed = {**PAUSES, "7": PauseReason(id="7", title="After call", type=PauseType.WRAP)}
    assert parse.parse_rt_users_state(_body(users), PRAGUE, renamed, reuse=reuse) is not first
