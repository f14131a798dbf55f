"""Sending webhooks: a call's parameters, signing, delivery and status callbacks.

A webhook is an event of its own: parameters are built under the carrier's lock, the request goes
out *without* it (the app may call the REST API back), and the reply is acted on only if the call
is still where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from contactcenter.telephony.simulator.engine_core import API_VERSION, EngineCore, Guard
from contactcenter.telephony.simulator.model import SimCall, rfc2822


class WebhookSending(EngineCore):
    """Webhook delivery for the engine (see the module docstring)."""

    # ================================================================ webhooks
    def _call_params(self, call: SimCall) -> dict[str, str]:
        params = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "CallStatus": call.status,
            "Direction": call.direction,
            "ApiVersion": API_VERSION,
            "Called": call.to,
            "Caller": call.from_,
        }
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        return params

    def _token(self) -> str:
        return f"{self._tokens.getrandbits(128):032x}"

    def _send(self, url: str, method: str, params: Mapping[str, str], token: str) -> tuple[int, str]:
        """Sign and deliver one webhook; never raises (a failure is a status, as for Twilio)."""
        self.webhook_count += 1
        headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": token}
        try:
            if method == "GET":
                full = url + ("&" if "?" in url else "?") + urlencode(params) if params else url
                headers["X-Twilio-Signature"] = self._signer.sign(full, {})
                return self.transport.get(full, headers)
            headers["X-Twilio-Signature"] = self._signer.sign(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.transport.post(url, params, headers)
        except Exception as exc:  # a broken transport is an unreachable app, not a carrier crash
            return 0, f"{type(exc).__name__}: {exc}"

    def _webhook(
        self,
        call: SimCall | None,
        url: str,
        method: str,
        extra: Mapping[str, str],
        *,
        guard: Guard | None,
        on_reply: Callable[[int, str], None] | None,
        kind: str = "webhook",
        params: Callable[[], dict[str, str]] | None = None,
        token: str | None = None,
    ) -> None:
        """Schedule a webhook now; `on_reply` runs under the lock if `guard` still holds after.

        `token` is the I-Twilio-Idempotency-Token; a redelivery of the same request reuses it.
        """
        token = token or self._token()

        def run() -> None:
            with self.lock:
                if guard is not None and not guard():
                    return
                if params is not None:
                    body = params()
                else:
                    assert call is not None
                    body = {**self._call_params(call), **extra}
            status, text = self._send(url, method, body, token)
            with self.lock:
                if call is not None:
                    call.note(self._now(), kind, f"{method} {url} -> {status or 'no response'}")
                if on_reply is not None and (guard is None or guard()):
                    on_reply(status, text)

        self.scheduler.call_at(self._now(), run)

    def _fire_and_forget(self, call: SimCall, url: str, method: str, extra: Mapping[str, str]) -> None:
        """An action request made after the caller hung up: Twilio sends it, ignores the reply."""
        self._webhook(call, url, method, extra, guard=None, on_reply=None)

    def _status_callback(self, call: SimCall, event: str) -> None:
        if not call.status_callback or event not in call.status_events:
            return
        now = self._now()
        extra: dict[str, str] = {
            "Timestamp": rfc2822(self.scheduler.datetime_at(now)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(call.sequence),
        }
        call.sequence += 1
        if event == "initiated":
            extra["CallStatus"] = "initiated"
        if call.ended:
            extra["CallDuration"] = str(call.duration_s() or 0)
        snapshot = {**self._call_params(call), **extra}
        url, method = call.status_callback, call.status_callback_method
        token = self._token()
        for _ in range(2 if self.duplicate_status_callbacks else 1):
            self._webhook(
                call,
                url,
                method,
                {},
                guard=None,
                on_reply=None,
                kind="callback",
                params=lambda: dict(snapshot),
                token=token,
            )
