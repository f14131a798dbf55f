"""The CLI's verb groups, one module per domain they drive (`contactcenter <group> ...`)."""
