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


def test_arrivals_keep_their_schedule_when_the_carrier_starts_them_late() -> None:
    """A carrier busy for 0.5 s with every arrival must not stretch the gaps between arrivals:
    60 calls a minute for 10 minutes stay about 600, not 600 / 1.5."""
    with clock.using(ManualClock()) as manual:
        carrier = SimulatedCarrier(WsgiTransport(_app()), clock=manual, seed=5)
        carrier.add_number(CENTER, "https://cc.example.com/voice")
        real_place = carrier.place_inbound_call

        def slow_place(*args, **kwargs):  # type: ignore[no-untyped-def]
            manual.advance(0.5)
            return real_place(*args, **kwargs)

        carrier.place_inbound_call = slow_place  # type: ignore[method-assign]
        traffic = InboundTraffic(carrier, CENTER, calls_per_minute=60, script_factory="hang up", seed=5)
        traffic.start(duration_s=600)
        carrier.run_until_idle(limit_s=3600)
    # Poisson with mean 600: within 4 standard deviations; the stretched schedule gives ~400
    assert 600 - 4 * 600**0.5 <= len(traffic.placed) <= 600 + 4 * 600**0.5


def test_caller_numbers_are_distinct_e164() -> None:
    numbers = caller_numbers(50, seed=1)
    assert len(set(numbers)) == 50
    assert all(n.startswith("+1") and len(n) == 12 for n in numbers)
