"""A floor for call-control tests: a queue, agents, the router and a connected call in the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from contactcenter.accounts.models import User
from contactcenter.acd.models import QueueMembership
from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.calls.controls import CallControls, ControlUrls
from contactcenter.calls.wrapup import WrapUpService
from contactcenter.contacts.models import Interaction
from tests.support.constants import CENTER_NUMBER
from tests.support.factories import gen_agent, gen_customer, gen_queue

BASE = "http://cc.test/hooks"
URLS = ConnectUrls(f"{BASE}/connect", f"{BASE}/agent-leg", f"{BASE}/callback-answer")
CONTROL_URLS = ControlUrls(wait=f"{BASE}/wait", agent_status=f"{BASE}/agent-leg")
CALLER = "+14155550100"


@dataclass
class Floor:
    db: Any
    runtime: Any
    carrier: Any
    acd: AcdService
    alice: User
    bob: User
    carmen: User
    scheduled: list[tuple[int, Any]]

    def controls(self) -> CallControls:
        return CallControls(
            self.db,
            self.acd,
            self.runtime.telephony,
            CONTROL_URLS,
            redis_client=self.runtime.redis,
            center_number=CENTER_NUMBER,
        )

    def wrapups(self) -> WrapUpService:
        return WrapUpService(self.db, self.acd, schedule_callback=lambda rid, at: self.scheduled.append((rid, at)))

    def call(self, sid: str) -> Interaction:
        self.db.expire_all()
        return self.db.scalars(select(Interaction).where(Interaction.call_sid == sid)).one()

    def connect(self, agent: User, script: str = "hang up after 600") -> Any:
        """A caller rings in and `agent` (the only one available) accepts: they talk in the conference."""
        self.acd.set_state(agent.id, "available")
        handle = self.carrier.place_inbound_call(CALLER, CENTER_NUMBER, script)
        self.carrier.run_for(6)
        [offer] = [o for o in self.runtime.acd.pending_offers() if o.call_sid == handle.sid]
        assert self.acd.accept(offer.offer_id, agent.id).ok
        self.carrier.run_for(10)
        return handle

    def state(self, agent: User) -> str:
        return self.runtime.acd.agent_snapshot(str(agent.id)).state


def make_floor(db: Any, runtime: Any, carrier: Any, **queue_options: Any) -> Floor:
    runtime.settings = runtime.settings.with_overrides(ivr_flow="")
    support = gen_queue(db, "support", wrap_up_s=queue_options.pop("wrap_up_s", 30), **queue_options)
    gen_queue(db, "billing", wrap_up_s=30)
    gen_customer(db, "Grace Hopper", (CALLER,))
    agents = []
    for name in ("alice", "bob", "carmen"):
        agent = gen_agent(db, name, skills={"support": 5})
        db.add(QueueMembership(queue_id=support.id, user_id=agent.id))
        agents.append(agent)
    db.flush()
    service = AcdService(db, runtime.acd, runtime.telephony, URLS, center_number=CENTER_NUMBER)
    service.sync_configuration()
    runtime.acd_configured = True
    return Floor(db, runtime, carrier, service, *agents, scheduled=[])
