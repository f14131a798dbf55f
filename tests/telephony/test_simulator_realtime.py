"""Real time over real HTTP: the demo's set-up (scheduler thread, REST server, HTTP webhooks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from contactcenter.clock import ManualClock
from contactcenter.config import SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import Hangup, Say
from contactcenter.telephony.signatures import SignatureChecker
from contactcenter.telephony.simulator import Callee, HttpTransport, SimulatedCarrier, SimulatorHttpClient
from contactcenter.telephony.simulator.server import SimulatorServer
from contactcenter.telephony.twilio_adapter import TwilioTelephony
from contactcenter.telephony.twiml import render

CENTER = "+18005550100"


@pytest.fixture
def app_url() -> Iterator[tuple[str, list[str]]]:
    """A stand-in customer app on a real port; yields its base URL and the paths it served."""
    app = Flask("stand-in-http-app")
    served: list[str] = []
    checker = SignatureChecker(SIMULATOR_AUTH_TOKEN)

    @app.post("/<path:path>")
    def hook(path: str) -> Response | tuple[str, int]:
        if not checker.is_valid(request.url, request.form.to_dict(), request.headers.get("X-Twilio-Signature")):
            return "forged", 403
        served.append("/" + path)
        return Response(render([Say("Hi") if path == "hello" else Hangup()]), mimetype="text/xml")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", served
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_real_time_calls_over_http(app_url: tuple[str, list[str]]) -> None:
    base, served = app_url
    transport = HttpTransport()
    carrier = SimulatedCarrier(transport)
    carrier.add_number(CENTER, f"{base}/voice", f"{base}/status")
    carrier.set_callee("+14155550177", Callee(ring_s=0.05))
    carrier.start()
    try:
        with SimulatorServer(carrier) as api:
            telephony = TwilioTelephony(
                SIMULATOR_ACCOUNT_SID, SIMULATOR_AUTH_TOKEN, http_client=SimulatorHttpClient(api.url)
            )
            inbound = carrier.place_inbound_call("+14155550100", CENTER, "")
            placed = telephony.place_call("+14155550177", CENTER, f"{base}/outbound", status_callback=f"{base}/status")
            assert inbound.wait(5) and carrier.call(placed.call_sid).wait(5)
    finally:
        carrier.stop()
        transport.close()
    assert inbound.status == "completed" and carrier.call(placed.call_sid).status == "completed"
    assert {"/voice", "/outbound", "/status"} <= set(served)


def test_an_unreachable_app_is_an_application_error() -> None:
    # virtual time, real HTTP: the apology takes 3.6 simulated seconds, not real ones
    carrier = SimulatedCarrier(HttpTransport(connect_timeout_s=1, read_timeout_s=1), clock=ManualClock())
    carrier.add_number(CENTER, "http://127.0.0.1:9/voice")  # the discard port: nothing listens
    call = carrier.place_inbound_call("+14155550100", CENTER, "")
    carrier.run_until_idle()
    assert "no response" in call.entries("error")[0].detail
    assert call.end_reason == "application error"
