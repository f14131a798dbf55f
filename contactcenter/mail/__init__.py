"""E-mail as a channel of the ticket store: mailboxes, messages in and out, their threading."""
