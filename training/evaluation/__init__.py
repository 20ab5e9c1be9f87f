"""Evaluation: answer extraction and verification (verify.py), benchmark harness."""
