"""itembank domain package (no web framework)."""
