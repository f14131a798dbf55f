"""The security and CRM-activity log: who signed in (or tried), what admins changed, and who
looked at which customer. Append-only; searched by admins (`web.admin_audit`).

Separate from the ticket trail (`tickets.models.TicketEvent`), which records a ticket's own
history for everyone who works it; this log answers "who did or saw what" for a security review.
"""
