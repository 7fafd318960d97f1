"""Helpers the test packages share: waiting for a condition, and the hall server's fixtures
for the packages that talk to one (tests/support/hall_server.py)."""
