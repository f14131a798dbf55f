"""Texts at the simulated carrier: customers texting our numbers, the Messages resource, and
the status callbacks of what the app sends.

As at Twilio: a text to one of our numbers is a signed webhook to the number's SMS URL, and a
`<Message>` in the TwiML reply goes straight back to the sender; a message the app creates
moves queued → sending → sent → delivered (or undelivered, for a handset that cannot take
texts), with a status callback at each step. The carrier's default opt-out handling is
mimicked: STOP is confirmed to the sender and further texts to them are refused with error
21610 until they text START.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from contactcenter.telephony.simulator.engine_core import API_VERSION, EngineCore

MAX_BODY = 1600
SEGMENT = 153  # characters per part of a concatenated GSM-7 text
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
STOP_CONFIRMATION = (
    "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe."
)
START_CONFIRMATION = "You have successfully been re-subscribed to messages from this number. Reply STOP to unsubscribe."
STEP_S = 0.5  # seconds between a sent message's statuses


@dataclass
class SimMessage:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    direction: str  # "inbound", "outbound-api" or "outbound-reply"
    status: str
    created_at: float
    updated_at: float
    status_callback: str | None = None
    error_code: int | None = None
    callbacks: list[str] = field(default_factory=list)  # statuses reported to the app

    @property
    def segments(self) -> int:
        return max(1, -(-len(self.body) // SEGMENT)) if len(self.body) > 160 else 1


class TextMessages(EngineCore):
    """The messaging part of the engine (see the module docstring)."""

    # ================================================================ setup and inspection
    def add_sms_number(self, number: str, sms_url: str, method: str = "POST") -> None:
        """Own `number` for texts: a text to it fetches `sms_url`."""
        with self.lock:
            self._sms_numbers[number] = (sms_url, method.upper())

    def set_unreachable(self, number: str) -> None:
        """Texts to `number` end undelivered (error 30003, as for a handset switched off)."""
        with self.lock:
            self._unreachable.add(number)

    def texts_to(self, number: str) -> list[str]:
        """The bodies of the texts a handset received, oldest first."""
        with self.lock:
            return [
                m.body
                for m in self._messages.values()
                if m.to == number and m.direction != "inbound" and m.status == "delivered"
            ]

    def messages(self) -> list[SimMessage]:
        with self.lock:
            return list(self._messages.values())

    # ================================================================ a customer texts us
    def send_text(self, from_: str, to: str, body: str) -> SimMessage:
        """A customer's handset texts one of our numbers."""
        with self.lock:
            hook = self._sms_numbers.get(to)
            if hook is None:
                raise ValueError(f"{to} is not a number this carrier owns for texts (add_sms_number first)")
            message = self._new_message(from_, to, body, "inbound", "received")
            word = body.strip().strip(".!").upper()
            if word in STOP_WORDS:
                self._opted_out.add((from_, to))
                self._deliver_reply(to, from_, STOP_CONFIRMATION)
            elif word in START_WORDS and (from_, to) in self._opted_out:
                self._opted_out.discard((from_, to))
                self._deliver_reply(to, from_, START_CONFIRMATION)
            url, method = hook
            params = {
                "MessageSid": message.sid,
                "SmsSid": message.sid,
                "SmsMessageSid": message.sid,
                "AccountSid": message.account_sid,
                "From": from_,
                "To": to,
                "Body": body,
                "NumMedia": "0",
                "NumSegments": str(message.segments),
                "SmsStatus": "received",
                "ApiVersion": API_VERSION,
            }

            def on_reply(status: int, text: str) -> None:
                message.callbacks.append(f"webhook {status}")
                if status == 200:
                    for reply in _message_bodies(text):
                        self._deliver_reply(to, from_, reply)

            self._webhook(None, url, method, {}, guard=None, on_reply=on_reply, params=lambda: dict(params))
            return message

    def _deliver_reply(self, from_: str, to: str, body: str) -> None:
        self._new_message(from_, to, body[:MAX_BODY], "outbound-reply", "delivered")

    def _new_message(
        self, from_: str, to: str, body: str, direction: str, status: str, status_callback: str | None = None
    ) -> SimMessage:
        now = self._now()
        message = SimMessage(
            sid=self._sid("SM"),
            account_sid=self.account_sid,
            from_=from_,
            to=to,
            body=body,
            direction=direction,
            status=status,
            created_at=now,
            updated_at=now,
            status_callback=status_callback,
        )
        self._messages[message.sid] = message
        return message

    # ================================================================ the Messages resource
    def create_message(self, to: str, from_: str, body: str, status_callback: str | None) -> SimMessage:
        from contactcenter.telephony.simulator.carrier import CarrierError

        with self.lock:
            if not body:
                raise CarrierError(400, 21602, "Message body is required.")
            if len(body) > MAX_BODY:
                raise CarrierError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
            if from_ not in self._sms_numbers:
                raise CarrierError(
                    400, 21606, f"The From phone number {from_} is not a valid, SMS-capable inbound phone number."
                )
            if not to.startswith("+") or not to[1:].isdigit() or not 8 <= len(to) <= 16:
                raise CarrierError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if (to, from_) in self._opted_out:
                raise CarrierError(400, 21610, "Attempt to send to unsubscribed recipient")
            message = self._new_message(from_, to, body, "outbound-api", "queued", status_callback)
            now = message.created_at
            final = "undelivered" if to in self._unreachable else "delivered"
            for step, status in enumerate(("sending", "sent", final), start=1):
                self._later(now + step * STEP_S, None, self._advancing(message, status))
            return message

    def get_message(self, sid: str) -> SimMessage:
        from contactcenter.telephony.simulator.carrier import CarrierError

        with self.lock:
            message = self._messages.get(sid)
            if message is None:
                raise CarrierError(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
            return message

    def _advancing(self, message: SimMessage, status: str) -> Callable[[], None]:
        return lambda: self._advance(message, status)

    def _advance(self, message: SimMessage, status: str) -> None:
        message.status = status
        message.updated_at = self._now()
        if status == "undelivered":
            message.error_code = 30003
        if not message.status_callback:
            return
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "AccountSid": message.account_sid,
            "From": message.from_,
            "To": message.to,
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": API_VERSION,
        }
        if message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        message.callbacks.append(status)
        self._webhook(None, message.status_callback, "POST", {}, guard=None, on_reply=None, params=lambda: dict(params))


def _message_bodies(document: str) -> list[str]:
    """The `<Message>` texts of a messaging TwiML reply (anything unreadable sends nothing)."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return []
    if root.tag != "Response":
        return []
    bodies = []
    for element in root:
        if element.tag != "Message":
            continue
        body = element.findtext("Body") if element.find("Body") is not None else element.text
        if body and body.strip():
            bodies.append(body.strip())
    return bodies
