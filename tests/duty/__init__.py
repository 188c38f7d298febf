"""Tests of the duty flow (读网值班)."""
