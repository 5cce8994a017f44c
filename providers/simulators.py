"""The explicit registry of vendor simulators and how an account connects to each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .daktela.simulator import DaktelaSimulator
from .sim.engine import CallCenter, Clock, SimAgent, SimConfig, SimQueue
from .sim.history import engine_agent_id, engine_queue_id
from .sim.server import App, SimulatorServer
from .spikon.simulator import SpikonSimulator
from .voipsun import simulator as voipsun


def _login(agent: SimAgent) -> str:
    return agent.login


@dataclass(frozen=True)
class SimulatorSpec:
    make_app: Callable[[CallCenter], App]
    # The account settings (``add_account`` flags) that connect to this simulator.
    account_settings: Callable[[CallCenter], dict[str, str]]
    default_port: int
    # The ids the vendor's adapter reports for the engine's agents and queues.
    agent_id: Callable[[SimAgent], str] = engine_agent_id
    queue_id: Callable[[SimQueue], str] = engine_queue_id


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
    ),
    "voipsun": SimulatorSpec(
        make_app=voipsun.VoipsunSimulator,
        account_settings=voipsun.account_settings,
        default_port=8102,
        agent_id=_login,  # the queue member's name
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
