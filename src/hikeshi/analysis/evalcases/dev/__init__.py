"""Development-set evaluation cases (data only; see ../README.md)."""
