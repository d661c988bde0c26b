"""proctoring domain package (no web framework)."""
