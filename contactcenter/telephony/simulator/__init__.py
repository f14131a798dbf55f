"""The local carrier simulator: behaves like Twilio toward the app.

It sends signed, form-encoded webhooks, follows the TwiML it gets back (Gather → digits from a
scripted caller, Enqueue → waits, Dial/Conference → connects), and answers the REST calls the app
makes through the real `twilio` library. Time comes from the project clock, so under a
`ManualClock` hours of traffic run in seconds of wall time, deterministically.

Tests (virtual time, in process)::

    with virtual_carrier(WsgiTransport(app)) as carrier:   # ManualClock installed as the clock
        carrier.add_number("+18005550100", "https://cc.example.com/hooks/voice")
        telephony = TwilioTelephony(sid, token, http_client=SimulatorHttpClient(create_rest_app(carrier)))
        call = carrier.place_inbound_call("+14155550100", "+18005550100", "press 1, hang up after 40")
        carrier.run_until_idle()
        assert "Welcome" in call.heard_text()

Demo (real time, real HTTP)::

    carrier = SimulatedCarrier(HttpTransport())             # process clock
    carrier.add_number(number, f"{public_url}/hooks/voice", f"{public_url}/hooks/status")
    carrier.start()                                         # daemon thread runs due events
    api = SimulatorServer(carrier, port=8099).start()       # app: SIMULATOR_URL=api.url
    InboundTraffic(carrier, number, calls_per_minute=4, script_factory="press 1").start()
"""

from contactcenter.telephony.simulator.callers import (
    CallerScript,
    ScriptError,
    parse_script,
)
from contactcenter.telephony.simulator.carrier import (
    Callee,
    CallHandle,
    SimulatedCarrier,
    TranscriptEntry,
    virtual_carrier,
)
from contactcenter.telephony.simulator.http_layer import SimulatorHttpClient
from contactcenter.telephony.simulator.rest_api import create_rest_app
from contactcenter.telephony.simulator.server import SimulatorServer
from contactcenter.telephony.simulator.traffic import InboundTraffic
from contactcenter.telephony.simulator.transport import HttpTransport, WebhookTransport, WsgiTransport
from contactcenter.telephony.simulator.twiml_reader import TwimlError, parse_twiml

__all__ = [
    "Callee",
    "CallHandle",
    "CallerScript",
    "HttpTransport",
    "InboundTraffic",
    "ScriptError",
    "SimulatedCarrier",
    "SimulatorHttpClient",
    "SimulatorServer",
    "TranscriptEntry",
    "TwimlError",
    "WebhookTransport",
    "WsgiTransport",
    "create_rest_app",
    "parse_script",
    "parse_twiml",
    "virtual_carrier",
]
