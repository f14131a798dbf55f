"""Web chat: a visitor's conversation from a site's widget, routed to an agent like a call."""
