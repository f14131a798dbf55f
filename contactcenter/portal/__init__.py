"""Customer self-service on the web: the knowledge base, requests with attachments, and "my
tickets" behind a link mailed to the customer."""
