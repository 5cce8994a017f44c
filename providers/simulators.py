"""The explicit registry of vendor simulators and how an account connects to each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .daktela.simulator import DaktelaSimulator
from .model import AgentStatus
from .sim.engine import CallCenter, Clock, SimAgent, SimConfig, SimQueue
from .sim.history import AgentView, engine_agent_id, engine_queue_id, engine_view
from .sim.server import App, SimulatorServer
from .spikon.simulator import SpikonSimulator
from .voipsun import simulator as voipsun


def _login(agent: SimAgent) -> str:
    return agent.login


#: What SPIKON's campaign monitor shows of the engine's statuses: a state text ("Wolny",
#: "Dzwoni", "Zajęty", …) and a pause flag, no wrap-up, no pause reasons.
_SPIKON_STATUS = {
    AgentStatus.LOGGED_IN: AgentStatus.IDLE,
    AgentStatus.DIALING: AgentStatus.TALKING,
    AgentStatus.ON_HOLD: AgentStatus.TALKING,
    AgentStatus.WRAP_UP: AgentStatus.PAUSED,
}
#: VoIPSUN's queue members: a device state and a paused flag, no wrap-up, no reasons.
_VOIPSUN_STATUS = {
    AgentStatus.LOGGED_IN: AgentStatus.IDLE,
    AgentStatus.WRAP_UP: AgentStatus.PAUSED,
}


def _spikon_view(status: AgentStatus, pause_reason: str | None) -> tuple[AgentStatus, None]:
    return _SPIKON_STATUS.get(status, status), None


def _voipsun_view(status: AgentStatus, pause_reason: str | None) -> tuple[AgentStatus, None]:
    return _VOIPSUN_STATUS.get(status, status), None


@dataclass(frozen=True)
class SimulatorSpec:
    make_app: Callable[[CallCenter], App]
    # The account settings (``add_account`` flags) that connect to this simulator.
    account_settings: Callable[[CallCenter], dict[str, str]]
    default_port: int
    # What the vendor's adapter reports for the engine's agents and queues: their ids,
    # and an agent's status and pause reason (for history seeded from the engine).
    agent_id: Callable[[SimAgent], str] = engine_agent_id
    queue_id: Callable[[SimQueue], str] = engine_queue_id
    agent_view: AgentView = engine_view


SIMULATORS: dict[str, SimulatorSpec] = {
    "spikon": SimulatorSpec(
        make_app=SpikonSimulator,
        account_settings=lambda engine: {
            "api_key": "demo-key",
            "api_version": "1.3",
            "format": "json",
        },
        default_port=8101,
        agent_id=_login,  # SPIKON names a campaign member by its SIP login
        agent_view=_spikon_view,
    ),
    "voipsun": SimulatorSpec(
        make_app=voipsun.VoipsunSimulator,
        account_settings=voipsun.account_settings,
        default_port=8102,
        agent_id=_login,  # the queue member's name
        agent_view=_voipsun_view,
        queue_id=lambda queue: voipsun.VoipsunSimulator.queue_name(queue.id),
    ),
    "daktela": SimulatorSpec(
        make_app=DaktelaSimulator,
        account_settings=lambda engine: {"login": "demo", "password": "demo"},
        default_port=8103,
    ),
}


def start_simulator(
    vendor: str,
    config: SimConfig,
    *,
    clock: Clock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> tuple[SimulatorServer, CallCenter]:
    """Build the shared engine and serve the vendor's API for it on a background thread."""
    spec = SIMULATORS[vendor]
    engine = CallCenter(config, clock)
    server = SimulatorServer(spec.make_app(engine), host=host, port=port).start()
    return server, engine
