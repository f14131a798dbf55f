"""Users of the system: agents, supervisors and admins, with their skills."""
