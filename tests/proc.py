"""Kept so tests written before ``tests/support`` existed still import; use
``tests.support.proc`` in new tests."""

from tests.support.proc import ROOT, Completed, run_dutybot

__all__ = ["ROOT", "Completed", "run_dutybot"]
