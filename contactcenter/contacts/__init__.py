"""Customers (phone numbers in E.164, e-mail addresses) and interactions: every call, message or
chat, inbound or outbound, with its IVR path, queue, wait, talk, hold, wrap and disposition."""
