"""Fault tests: real runner processes killed (SIGKILL) and stopped (SIGTERM) at random moments."""
