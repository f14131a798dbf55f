"""The life of a call from the carrier's point of view: answer, hold, status, end."""
