"""The one-word texts carriers treat as opt-out, opt-in and help requests.

The lists are the carriers' standard keywords (what Twilio's default opt-out handling honours),
matched on the whole message, case-blind and ignoring surrounding space and punctuation, so
"Stop." opts out but "please don't stop calling" is a message for an agent.
"""

from __future__ import annotations

import re

from contactcenter.sms.models import Keyword

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
_EDGES = re.compile(r"^[\s.!?,;:'\"]+|[\s.!?,;:'\"]+$")


def classify(body: str) -> Keyword:
    word = _EDGES.sub("", body).upper()
    if len(word) > 16 or not word.isalpha():
        return Keyword.NONE
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS:
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return Keyword.NONE
