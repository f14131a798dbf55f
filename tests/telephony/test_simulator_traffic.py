"""Poisson inbound traffic on the carrier's timeline: deterministic, and fast in virtual time."""

from __future__ import annotations

import random
import time

from flask import Flask, Response

from contactcenter import clock
from contactcenter.clock import ManualClock
from contactcenter.telephony.interfaces import Enqueue, Gather, Say
from contactcenter.telephony.simulator import InboundTraffic, SimulatedCarrier, WsgiTransport
from contactcenter.telephony.simulator.traffic import caller_numbers
from contactcenter.telephony.twiml import render

CENTER = "+18005550100"


def _app() -> Flask:
    app = Flask("stand-in-traffic-app")

    @app.post("/voice")
    def voice() -> Response:
        return Response(
            render([Gather(action="/menu", num_digits=1, prompts=(Say("Press 1 for billing."),))]), mimetype="text/xml"
        )

    @app.post("/menu")
    def menu() -> Response:
        return Response(render([Enqueue("billing")]), mimetype="text/xml")

    return app


def _run(seed: int) -> tuple[list[tuple[str, str]], float, int]:
    with clock.using(ManualClock()) as manual:
        carrier = SimulatedCarrier(WsgiTransport(_app()), clock=manual, seed=seed)
        carrier.add_number(CENTER, "https://cc.example.com/voice")

        def script(rng: random.Random) -> str:
            return f"press 1, hang up after {rng.randint(10, 120)}"

        traffic = InboundTraffic(carrier, CENTER, calls_per_minute=30, script_factory=script, seed=seed)
        traffic.start(duration_s=20 * 60)
        started = time.perf_counter()
        carrier.run_until_idle(limit_s=4 * 3600)
        wall = time.perf_counter() - started
        assert all(call.ended for call in traffic.placed)
        assert carrier.active_calls() == 0 and carrier.queue_members("billing") == []
        calls = [(c.sid, c.transcript[0].detail) for c in traffic.placed]
        return calls, wall, len(traffic.placed)


def test_poisson_arrivals_are_deterministic_and_fast() -> None:
    calls, wall, count = _run(seed=3)
    assert 450 <= count <= 750  # 30 a minute for 20 minutes
    assert _run(seed=3)[0] == calls
    assert _run(seed=4)[0] != calls
    assert wall < 5.0


def test_caller_numbers_are_distinct_e164() -> None:
    numbers = caller_numbers(50, seed=1)
    assert len(set(numbers)) == 50
    assert all(n.startswith("+1") and len(n) == 12 for n in numbers)
