"""Run the real ``dutybot`` command (``python -m bot``) from async tests."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def run_dutybot(
    *args: str,
    env: dict[str, str] | None = None,
    limit_seconds: float = 60,
    cwd: Path | None = None,
    inherit_settings: bool = True,
) -> Completed:
    """``python -m bot ARGS`` with the project on PYTHONPATH; never blocks the event loop.

    ``inherit_settings=False`` drops any DUTYBOT_* of the developer's shell, so only ``env``
    configures the command; ``cwd`` keeps a stray ``.env`` out of reach.
    """
    base = {k: v for k, v in os.environ.items() if inherit_settings or not k.startswith("DUTYBOT_")}
    full_env = {**base, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        env=full_env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=limit_seconds)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Completed(proc.returncode, out.decode("utf-8"), err.decode("utf-8"))
