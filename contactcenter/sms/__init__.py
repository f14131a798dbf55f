"""Text messages into tickets: numbers that take texts, conversations, opt-outs and replies."""
