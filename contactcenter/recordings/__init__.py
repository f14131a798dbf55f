"""Call recording through the carrier: consent rules, the recordings the carrier makes, their
audio kept in the store, pause/resume from the call, and deletion when retention runs out."""
