"""The browser softphone's carrier side: Voice SDK access tokens, and the simulated device.

With Twilio the desktop runs the Voice JavaScript SDK: it needs a short-lived access token (a JWT
signed with an API key) whose identity is the one the app dials (`client:<identity>`). With the
simulator the page drives a simulated device through the app, which reaches the simulator's
device resource here — so the web layer never touches simulator internals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from twilio.http import HttpClient
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from contactcenter import clock
from contactcenter.errors import DomainError, Kind
from contactcenter.telephony.interfaces import (
    DEVICE_ACTIONS,
    DeviceCall,
    DeviceError,
    DeviceState,
    TelephonyError,
)

VOICE_TOKEN_TTL_S = 3600  # the page renews it on the SDK's tokenWillExpire, a few minutes before
MAX_TOKEN_TTL_S = 24 * 3600  # Twilio refuses longer
API_VERSION = "2010-04-01"
CLIENT_PREFIX = "client:"
TASK_PARAMETER = "task"  # the caller's CallSid (or callback key) a ring to an agent's browser is for
MAX_PARAMETERS_CHARS = 800  # Twilio's advice for the whole set of custom parameters


def client_address(to: str, **parameters: str) -> str:
    """`to` with custom parameters when it is a browser (`client:alice?task=CA…`).

    Twilio's Participants and Calls resources take custom parameters for a client in the `to`
    address's query string and hand them to the Voice SDK's incoming call as `customParameters`;
    the page reads `task` to know which accepted offer a ring belongs to and answers it by itself.
    Phone numbers and SIP addresses are left as they are."""
    if not to.startswith(CLIENT_PREFIX) or "?" in to or not parameters:
        return to
    query = urlencode(parameters)
    if len(query) > MAX_PARAMETERS_CHARS:
        raise ValueError("custom parameters for a browser call are a few hundred characters at most")
    return f"{to}?{query}"


def split_client_address(address: str) -> tuple[str, dict[str, str]]:
    """The plain address and the custom parameters of a `client:` address (none for others)."""
    if not address.startswith(CLIENT_PREFIX) or "?" not in address:
        return address, {}
    plain, _, query = address.partition("?")
    return plain, dict(parse_qsl(query[:MAX_PARAMETERS_CHARS], keep_blank_values=True))


class VoiceTokenUnavailable(DomainError):
    """No API key is configured, so no access token can be signed."""

    kind: Kind = "unavailable"
    code = "voice_token_unconfigured"


def voice_access_token(
    *,
    account_sid: str,
    api_key_sid: str,
    api_key_secret: str,
    twiml_app_sid: str,
    identity: str,
    ttl_s: int = VOICE_TOKEN_TTL_S,
) -> str:
    """A signed Voice SDK access token for `identity`: incoming calls allowed (the app dials
    `client:<identity>` for the person's calls), outgoing through the TwiML app when one is set."""
    if not (api_key_sid and api_key_secret):
        raise VoiceTokenUnavailable("the softphone needs TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET")
    if not identity:
        raise VoiceTokenUnavailable("a softphone needs an identity", kind="invalid", code="invalid")
    ttl = max(60, min(int(ttl_s), MAX_TOKEN_TTL_S))
    issued = int(clock.now().timestamp())
    token = AccessToken(
        account_sid, api_key_sid, api_key_secret, identity=identity, ttl=ttl, nbf=issued, valid_until=issued + ttl
    )
    grant = VoiceGrant(incoming_allow=True, outgoing_application_sid=twiml_app_sid or None)
    token.add_grant(grant)
    jwt = token.to_jwt()
    return jwt if isinstance(jwt, str) else jwt.decode("ascii")


class SimulatedDeviceClient:
    """`BrowserDevices` over the simulator's REST API (the `Devices` resource it adds to Twilio's).

    Uses the same HTTP layer as the app's Twilio client, so it reaches the simulator the app's
    calls go to, in process or over HTTP."""

    def __init__(self, http_client: HttpClient, account_sid: str, auth_token: str) -> None:
        self._http = http_client
        self._auth = (account_sid, auth_token)
        self._base = f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Devices"

    def _request(self, method: str, path: str, data: dict[str, str] | None = None) -> dict[str, Any] | None:
        try:
            response = self._http.request(method, self._base + path, data=data, auth=self._auth)
        except Exception as exc:  # the simulator is away: say so, as a carrier failure would
            raise TelephonyError(f"the simulated carrier did not answer: {exc}") from exc
        status = response.status_code
        body: dict[str, Any] = {}
        if response.text:
            try:
                body = json.loads(response.text)
            except ValueError:
                body = {}
        if status == 404:
            raise DeviceError(str(body.get("message") or "no such device"), kind="not_found", code="device_not_found")
        if status == 501:
            raise DeviceError(
                str(body.get("message") or "no browser devices"), kind="unavailable", code="no_simulated_device"
            )
        if status in (400, 409):
            raise DeviceError(str(body.get("message") or "the device refused"), kind="conflict")
        if status >= 300:
            raise TelephonyError(f"carrier refused: {body.get('message') or status}", status=status)
        return body or None

    @staticmethod
    def _state(identity: str, body: dict[str, Any] | None) -> DeviceState:
        calls = tuple(
            DeviceCall(
                call_sid=str(c.get("call_sid", "")),
                from_number=str(c.get("from", "")),
                status=str(c.get("status", "")),
                muted=bool(c.get("muted")),
                end_reason=c.get("end_reason"),
                parameters=_parameters(c.get("parameters")),
            )
            for c in (body or {}).get("calls", [])
        )
        return DeviceState(identity=identity, calls=calls)

    def register(self, identity: str) -> DeviceState:
        return self._state(identity, self._request("POST", f"/{_segment(identity)}.json"))

    def unregister(self, identity: str) -> None:
        self._request("DELETE", f"/{_segment(identity)}.json")

    def state(self, identity: str) -> DeviceState:
        return self._state(identity, self._request("GET", f"/{_segment(identity)}.json"))

    def act(self, identity: str, call_sid: str, action: str) -> DeviceState:
        if action not in DEVICE_ACTIONS:
            raise DeviceError(f"action must be one of {', '.join(DEVICE_ACTIONS)}", kind="invalid", code="invalid")
        body = self._request("POST", f"/{_segment(identity)}/Calls/{_segment(call_sid)}.json", {"Action": action})
        return self._state(identity, body)


def _parameters(raw: object) -> Mapping[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items()}


IDENTITY = re.compile(r"^[A-Za-z0-9._@+-]{1,121}$")


def _segment(value: str) -> str:
    """A path segment of the device resource: identities and call SIDs never need escaping."""
    if not IDENTITY.match(value or ""):
        raise DeviceError("a device identity is 1 to 121 letters, digits or . _ @ + -", kind="invalid", code="invalid")
    return value
