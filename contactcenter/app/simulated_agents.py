"""Agents played by the machine, for the demo and the load benchmark.

They go through the same doors as people: the ACD service to become available and to accept
offers, the carrier to end a conversation. Whatever they do lands in the store like a human's.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence

from contactcenter import clock
from contactcenter.acd.services import chat_id_of
from contactcenter.app.runtime import Runtime
from contactcenter.app.services import CarrierUrls, Services
from contactcenter.db import transaction
from contactcenter.telephony.interfaces import TelephonyError

log = logging.getLogger("contactcenter.simulated_agents")


class SimulatedAgents:
    def __init__(
        self,
        runtime: Runtime,
        agent_ids: Sequence[int],
        urls: CarrierUrls,
        *,
        answer_after_s: float = 3.0,
        mean_talk_s: float = 60.0,
        seed: int = 0,
    ) -> None:
        self.runtime = runtime
        self.agent_ids = list(agent_ids)
        self.urls = urls
        self.answer_after_s = answer_after_s
        self.mean_talk_s = mean_talk_s
        self.rng = random.Random(seed)
        self._talk_until: dict[str, float] = {}

    def step(self) -> None:
        now = clock.timestamp()
        acd = self.runtime.acd
        with transaction(self.runtime.session_factory) as session:
            service = Services(self.runtime, session, self.urls).acd
            # They take calls only: a chat offered to one (a queue shared with people) is left to
            # time out and go back to the line, never accepted by someone who cannot type.
            offers = {o.agent_id: o for o in acd.pending_offers() if chat_id_of(o.call_sid) is None}
            for agent_id in self.agent_ids:
                key = str(agent_id)
                snap = acd.agent_snapshot(key)
                if snap is None:
                    continue
                if snap.state in ("offline", "break"):
                    service.set_state(agent_id, "available")
                elif snap.state == "reserved" and key in offers and now - offers[key].created_at >= self.answer_after_s:
                    service.accept(offers[key].offer_id, agent_id)
                    self._talk_until[key] = now + self.rng.expovariate(1 / self.mean_talk_s)
                elif snap.state == "on_call" and snap.call_sid and now >= self._talk_until.get(key, 0):
                    try:
                        self.runtime.telephony.hangup(snap.call_sid)  # the status callback ends it
                    except TelephonyError:
                        service.complete(snap.call_sid, agent_id)
                    self._talk_until.pop(key, None)

    def run(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a simulated agent never takes the demo down
                log.exception("simulated agents step failed")
            stop.wait(interval_s)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="simulated-agents", daemon=True)
        thread.start()
        return thread
