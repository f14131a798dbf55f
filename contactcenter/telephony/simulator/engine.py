"""How simulated calls behave: the TwiML interpreter, queues, dials, conferences, endings.

Everything happens as events on one scheduler. An event takes the carrier's lock, decides, and
schedules what comes next; a webhook is an event of its own that builds its parameters under
the lock, posts *without* it (the app may call the REST API back, from this thread in process or
from another over HTTP), then takes the lock again and acts on the reply only if the call is
still where it was. That last check is what lets a REST redirect, a hang-up or a conference
ending pre-empt whatever a call was doing, as on the real network.

The rules live in parts: `webhook_sending`, `twiml_following`, `call_bridging` and `call_legs`,
all on the shared state of `engine_core`. `SimulatedCarrier` (carrier.py) adds the public and
REST-facing operations on top.
"""

from __future__ import annotations

from contactcenter.telephony.simulator.browser_devices import BrowserDevices
from contactcenter.telephony.simulator.call_bridging import CallBridging
from contactcenter.telephony.simulator.call_legs import CallLegs
from contactcenter.telephony.simulator.call_recordings import CallRecordings
from contactcenter.telephony.simulator.text_messages import TextMessages
from contactcenter.telephony.simulator.twiml_following import TwimlFollowing
from contactcenter.telephony.simulator.webhook_sending import WebhookSending


class CarrierEngine(
    BrowserDevices, TextMessages, CallRecordings, CallLegs, CallBridging, TwimlFollowing, WebhookSending
):
    """The carrier's state and the rules calls follow; every method runs under `self.lock`."""
