"""Browser devices: the simulated Twilio Voice SDK `Device` an agent's desktop registers.

On the real network a desktop that registered `client:alice` rings when the app dials
`client:alice`, and the call is answered (or rejected, or hung up) by the person at the page. The
simulator does the same: a call to `client:<identity>` while a device is registered for that
identity rings and waits for the page — no `Callee` answers it — until the page acts through the
REST API or the ring times out. Without a registered device the callee rules apply as before
(a simulated agent leg stands in for the browser's audio).

A carrier takes browser devices only when `browser_devices` is on (the demo turns it on): tests
that drive the desktop without a softphone keep their automatically answering agent legs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contactcenter.telephony.simulator.callers import Callee
from contactcenter.telephony.simulator.engine_core import EngineCore
from contactcenter.telephony.simulator.model import SimCall
from contactcenter.telephony.softphone import CLIENT_PREFIX, split_client_address

MAX_IDENTITY = 121  # Twilio's limit for a client identity
DEVICE_ACTIONS = ("answer", "reject", "hangup", "mute", "unmute")


@dataclass
class SimDevice:
    """One registered browser: the calls that rang it (newest last) and which it muted."""

    identity: str
    registered_at: float
    call_sids: list[str] = field(default_factory=list)
    muted: set[str] = field(default_factory=set)


class BrowserDevices(EngineCore):
    """The browser-device part of the engine (see the module docstring)."""

    browser_devices: bool = False

    def _device_error(self, status: int, code: int, message: str) -> Exception:
        from contactcenter.telephony.simulator.carrier import CarrierError

        return CarrierError(status, code, message)

    def _check_identity(self, identity: str) -> str:
        if not identity or len(identity) > MAX_IDENTITY or any(c.isspace() or c in "<>\"'&" for c in identity):
            raise self._device_error(400, 31105, "identity must be 1 to 121 characters without spaces or markup")
        return identity

    def _device(self, identity: str) -> SimDevice:
        device = self._devices.get(self._check_identity(identity))
        if device is None:
            raise self._device_error(404, 20404, f"no browser device is registered for client:{identity}")
        return device

    # ================================================================ the page's side
    def register_device(self, identity: str) -> SimDevice:
        """The page registered `client:<identity>`: calls to it now ring the page. Registering
        again (a reload) keeps the calls it knows of."""
        with self.lock:
            if not self.browser_devices:
                raise self._device_error(
                    501, 31000, "this carrier takes no browser devices: its simulated agents answer"
                )
            identity = self._check_identity(identity)
            device = self._devices.get(identity)
            if device is None:
                device = SimDevice(identity, self._now())
                self._devices[identity] = device
            return device

    def unregister_device(self, identity: str) -> None:
        """The page went away: later calls to the identity follow the callee rules again."""
        with self.lock:
            self._devices.pop(self._check_identity(identity), None)

    def device(self, identity: str) -> SimDevice:
        with self.lock:
            return self._device(identity)

    @staticmethod
    def device_call_parameters(call: SimCall) -> dict[str, str]:
        """The custom parameters the app dialled the browser with, as the SDK's customParameters."""
        return split_client_address(call.to)[1]

    def device_calls(self, identity: str) -> list[SimCall]:
        """The calls that rang the device, oldest first (ended ones too, so the page sees the end)."""
        with self.lock:
            device = self._device(identity)
            return [self._calls[sid] for sid in device.call_sids if sid in self._calls]

    def device_act(self, identity: str, call_sid: str, action: str) -> SimCall:
        """The person at the page answers, rejects, hangs up, mutes or unmutes a call."""
        with self.lock:
            device = self._device(identity)
            if action not in DEVICE_ACTIONS:
                raise self._device_error(400, 31000, f"action must be one of {', '.join(DEVICE_ACTIONS)}")
            if call_sid not in device.call_sids or call_sid not in self._calls:
                raise self._device_error(404, 20404, f"call {call_sid} did not ring client:{identity}")
            call = self._calls[call_sid]
            if call.ended:
                raise self._device_error(409, 31005, f"call {call_sid} has ended")
            if action == "answer":
                if call.status != "ringing":
                    raise self._device_error(409, 31005, f"call {call_sid} is not ringing")
                self._answered(call, Callee(answer="human", ring_s=0.0))
            elif action == "reject":
                if call.status != "ringing":
                    raise self._device_error(409, 31005, f"call {call_sid} is not ringing")
                call.note(self._now(), "status", f"rejected at client:{identity}")
                self._finish(call, "rejected", status="busy")
            elif action == "hangup":
                # Hanging up a ringing call from the page is a reject, as in the SDK.
                if call.status == "ringing":
                    self._finish(call, "rejected", status="busy")
                else:
                    self._finish(call, "caller hung up")
            else:
                if call.status != "in-progress":
                    raise self._device_error(409, 31005, f"call {call_sid} is not connected")
                (device.muted.add if action == "mute" else device.muted.discard)(call_sid)
            return call

    # ================================================================ the engine's side
    def _device_for(self, address: str) -> SimDevice | None:
        address, _ = split_client_address(address)  # `client:alice?task=…` rings alice's page
        if not self.browser_devices or not address.startswith(CLIENT_PREFIX):
            return None
        return self._devices.get(address[len(CLIENT_PREFIX) :])

    def _ring_device(self, call: SimCall, device: SimDevice) -> None:
        """Ring the page and wait for it; no answer within the call's timeout is no-answer."""
        now = self._now()
        device.call_sids.append(call.sid)
        del device.call_sids[:-20]  # a long day's calls are not kept on the device
        call.status = "ringing"
        if call.participant is not None:
            call.participant.status = "ringing"
        call.note(now, "status", f"ringing the browser device client:{device.identity}")
        self._status_callback(call, "ringing")
        self._later(
            now + call.timeout_s,
            lambda: call.status == "ringing",
            lambda: self._finish(call, "no answer", status="no-answer"),
        )
