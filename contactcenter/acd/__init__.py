"""Automatic call distribution: skill-based queues and agent matching."""
