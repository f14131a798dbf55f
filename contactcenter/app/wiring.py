"""Reactions between domains, connected once per process.

A domain package never imports one above it; where a lower one must let a higher one react (a
customer's segment changes, so the ticket store recomputes SLA clocks), the lower one offers a
listener hook and this module connects the two.
"""

from __future__ import annotations


def connect_domains() -> None:
    """Called whenever a runtime is made, so every process (and test) has the wiring; connecting
    twice does nothing (each hook keeps a listener once)."""
    from contactcenter.contacts import customers
    from contactcenter.tickets import sla

    customers.on_segment_changed(sla.recompute_for_customer)
