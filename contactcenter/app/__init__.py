"""The composition root: what drives the domains (processes, wiring, CLI, jobs, demo).

Nothing in a domain package imports from here; this package imports the domains and the ports
and builds them into running processes.
"""
