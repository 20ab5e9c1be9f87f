"""Generated tasks for the embedded default (no downloads): see arithmetic.py."""
