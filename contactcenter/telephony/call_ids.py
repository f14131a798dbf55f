"""What counts as a call id, named for what each pattern accepts.

Three places check call ids, and they mean different things:
- a carrier webhook carries a Twilio call SID and nothing else (`TWILIO_CALL_SID`);
- the agent desktop's call controls act on any call id the ACD may hold, which includes the
  simulators' and the callbacks' own keys, not only Twilio SIDs (`CALL_ID`);
- the desktop's knowledge panel (script and FAQ for a call) looks the id up in the store only,
  and has always accepted '.' and ':' as well (`CALL_ID_DOTTED`).
Each is anchored and bounded, so nothing hostile (quotes, markup, spaces, oversized values)
reaches a query or a page.
"""

from __future__ import annotations

import re

#: A Twilio call SID: "CA" and 32 hexadecimal digits.
TWILIO_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")

#: Any call id: 1 to 64 letters, digits, '_' or '-' (Twilio SIDs, simulator and callback keys).
CALL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: `CALL_ID`, also allowing '.' and ':'.
CALL_ID_DOTTED = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

__all__ = ["CALL_ID", "CALL_ID_DOTTED", "TWILIO_CALL_SID"]
