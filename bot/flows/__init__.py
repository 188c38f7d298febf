"""Flows: one state machine per module (filing, review, duty, rectification)."""
