"""RTUsersState with ``UsersReuse``: unchanged users are not parsed again, and the result is
always what a fresh parse of the same reply gives."""

from __future__ import annotations

import copy
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.daktela import parse
from providers.errors import ProviderError
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


def _outcome(body: bytes, reuse: parse.UsersReuse | None) -> object:
    try:
        return parse.parse_rt_users_state(body, PRAGUE, PAUSES, reuse=reuse)
    except ProviderError as err:
        return type(err), str(err)


# Characters that change a JSON text's structure, and a few that do not.
EDITS = st.sampled_from([*list('{}[]:,"\\ \n\t0a-.e'), "null", "true", '"1":', "}}", ",,"])


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 2), EDITS), max_size=4),
    spaced=st.booleans(),
)
def test_a_reply_read_by_its_text_is_what_decoding_it_whole_gives(
    edits: list[tuple[int, int, str]], spaced: bool
) -> None:
    """Reusing the text of unchanged users never changes the outcome: the same users, or
    the same error, as a fresh parse of the same bytes, however the reply is broken."""
    users = _users(3)
    indent = 2 if spaced else None
    previous = json.dumps({"status": 1, "error": None, "result": users}, indent=indent)
    users["2"].update(agent_state="Paused", id_pause="7", onpause="2016-09-26 15:40:00")
    text = json.dumps({"status": 1, "error": None, "result": users}, indent=indent)
    for position, kind, chars in edits:
        # At or just after a character of the structure, where a change matters most.
        marks = [i for i, c in enumerate(text) if c in '{}[],:"'] + [len(text)]
        at = marks[position % len(marks)] + position % 2
        if kind == 0:
            text = text[:at] + chars + text[at:]
        elif kind == 1:
            text = text[:at] + text[at + len(chars) :]
        else:
            text = text[:at] + chars + text[at + len(chars) :]
    reuse = parse.UsersReuse()
    parse.parse_rt_users_state(previous.encode(), PRAGUE, PAUSES, reuse=reuse)

    assert _outcome(text.encode(), reuse) == _outcome(text.encode(), None)


def test_unchanged_users_are_not_decoded_again() -> None:
    users = _users(3)
    reuse = parse.UsersReuse()
    _parse(users, reuse)
    users["2"].update(agent_state="Paused", id_pause="7", onpause="2016-09-26 15:40:00")
    body = _body(users)
    read = parse.result_by_text(body, reuse._texts)
    assert read is not None
    result, texts = read
    assert result == json.loads(body)["result"]
    previous = reuse._texts
    assert result["1"] is previous["1"][1]
    assert result["3"] is previous["3"][1]
    assert result["2"] is not previous["2"][1]
    assert set(texts) == {"1", "2", "3"}


@pytest.mark.parametrize(
    "tail",
    [
        "}}",  # as sent
        "}}}",  # one "}" too many: tolerated, as the whole decode tolerates it
        ",}}",  # a trailing comma in the result
        "},}",  # a trailing comma in the envelope
        '},"result":{}}',  # the result twice: the last one counts
        ',"1":{}}}',  # a user twice
        "}} x",  # text after the value
        "}",  # cut short
        '},"status":0,"error":"Uživatel neexistuje"}',  # the status twice
    ],
)
def test_an_odd_envelope_reads_as_decoding_it_whole_reads_it(tail: str) -> None:
    users = _users(2)
    reuse = parse.UsersReuse()
    _parse(users, reuse)
    body = json.dumps({"status": 1, "error": None, "result": users})
    odd = (body.removesuffix("}}") + tail).encode()

    assert _outcome(odd, reuse) == _outcome(odd, None)


def test_a_user_listed_twice_is_read_from_the_first_listing_and_the_result_is_sorted() -> None:
    users = _users(3)
    users = {"3": users["3"], "1": users["1"], "2": users["2"]}
    users["again"] = copy.deepcopy(users["1"])
    users["again"]["agent_title"] = "Listed again"

    state = parse.parse_rt_users_state(_body(users), PRAGUE, PAUSES)

    assert [a.id for a in state.agents] == ["1", "2", "3"]
    assert state.agents[0].name != "Listed again"
    keys = [(m.agent_id, m.queue_id) for m in state.memberships]
    assert keys == sorted(set(keys))
