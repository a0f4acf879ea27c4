"""Failure and security drills: what happens when things break (run by the normal test suite)."""
