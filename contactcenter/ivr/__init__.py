"""IVR: menu-tree flows that callers walk through before reaching an ACD queue."""
