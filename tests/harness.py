"""Kept so tests written before ``tests/support`` existed still import: the chat harness now
lives in ``tests.support.chat``. Import from there in new tests."""

from tests.support.chat import ChatHarness, Said, Tapped, card_of, find_button

__all__ = ["ChatHarness", "Said", "Tapped", "card_of", "find_button"]
