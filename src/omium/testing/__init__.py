"""Test helpers shipped with Omium, for its own suite and for users' tests."""
