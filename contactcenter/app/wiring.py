"""Reactions between domains, connected once per process.

A domain package never imports one above it; where a lower one must let a higher one react (a
customer's segment changes, so the ticket store recomputes SLA clocks), the lower one offers a
listener hook and this module connects the two.
"""

from __future__ import annotations

_connected = False


def connect_domains() -> None:
    """Idempotent; called whenever a runtime is made, so every process (and test) has the wiring."""
    global _connected
    if _connected:
        return
    from contactcenter.contacts import customers
    from contactcenter.tickets import sla

    customers.on_segment_changed(sla.recompute_for_customer)
    _connected = True
