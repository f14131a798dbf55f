"""A stand-in customer application for the carrier simulator's own tests.

It checks every webhook's signature, logs what it received, and answers per route; routes nobody
declared answer 404 (or, with `empty_for_unknown`, an empty 200, as an app that ignores status
callbacks would).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request

from contactcenter.config import SIMULATOR_AUTH_TOKEN
from contactcenter.telephony.interfaces import Instruction
from contactcenter.telephony.signatures import SignatureChecker
from contactcenter.telephony.twiml import render

Reply = list[Instruction] | str | tuple[str, int] | Response


class StandInApp:
    def __init__(self, auth_token: str = SIMULATOR_AUTH_TOKEN, *, empty_for_unknown: bool = False) -> None:
        self.app = Flask("stand-in-customer-app")
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.tokens: dict[str, list[str]] = {}
        self.refused = 0
        self._routes: dict[str, Callable[[dict[str, str]], Reply]] = {}
        checker = SignatureChecker(auth_token)

        @self.app.route("/<path:path>", methods=["GET", "POST"])
        def hook(path: str) -> Reply:
            params = request.form.to_dict() if request.method == "POST" else {}
            if not checker.is_valid(request.url, params, request.headers.get("X-Twilio-Signature")):
                self.refused += 1
                return "forged", 403
            values = request.values.to_dict()
            self.requests.append(("/" + path, values))
            self.tokens.setdefault("/" + path, []).append(request.headers.get("I-Twilio-Idempotency-Token", ""))
            handler = self._routes.get("/" + path)
            if handler is None:
                return ("", 200) if empty_for_unknown else ("no such hook", 404)
            result = handler(values)
            if isinstance(result, list):
                return Response(render(result), mimetype="text/xml")
            return (result, 200) if isinstance(result, str) and empty_for_unknown else result

    def on(self, path: str, reply: Reply | Callable[[dict[str, str]], Reply]) -> None:
        handler = reply if callable(reply) else (lambda _params: reply)
        self._routes[path] = handler  # type: ignore[assignment]

    def posted(self, path: str) -> list[dict[str, str]]:
        return [params for p, params in self.requests if p == path]
