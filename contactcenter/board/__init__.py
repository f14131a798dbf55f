"""The supervisor board: live queue and agent figures, today's service level, alerts, dialer stats,
and the coalescing feed that pushes them to supervisors a few times a second at most."""
