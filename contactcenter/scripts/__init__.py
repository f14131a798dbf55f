"""Call scripts and the FAQ knowledge base shown on the agent desktop."""
