"""Running the ``blockade`` command from tests: in a fresh process or in this one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("blockade")


def blockade(
    *args: str, cwd: Path, module: bool = False, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the console script (or ``python -m sim``) in ``cwd``."""
    cmd = [sys.executable, "-m", "sim"] if module or not BIN.exists() else [str(BIN)]
    return subprocess.run(
        [*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """``proc`` after asserting it succeeded."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def refused(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    """``proc`` exited 2 with one ``blockade: error:`` line holding every one of ``words``."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("blockade: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def refused_in_process(capsys: pytest.CaptureFixture[str], key: str, *argv: str) -> None:
    """``blockade ARGV`` run in this process exits 2 with one line naming ``key``."""
    from sim.cli import main

    status = main(list(argv))
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("blockade: error:") and key in lines[0], err
