"""Helpers shared by the tests (real processes, real sockets; no mocks of our own code)."""
