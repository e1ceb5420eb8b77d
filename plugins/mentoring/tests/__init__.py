"""Tests of the mentoring plugin."""
