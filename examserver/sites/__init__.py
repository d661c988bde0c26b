"""Test-site servers: a sitting run on a small server at the test site (docs/operations/test-sites.md)."""
