"""值班, 值班表, 换班 and the taps on swap cards (the duty flow's roster and swaps)."""

from __future__ import annotations
