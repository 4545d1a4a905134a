"""Unit tests of the triage evidence producers."""
