"""What every ``blockade`` command shares: the program name, one-line errors, tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

PROG = "blockade"


class CliError(Exception):
    """A user error of the command line: printed as one line, exit status 2."""


def fail(message: str, *, command: str = "") -> int:
    """Print ``blockade [COMMAND]: error: MESSAGE`` as one line on stderr; return 2."""
    line = " ".join(str(message).split())  # one line, whatever the message held
    prog = f"{PROG} {command}" if command else PROG
    print(f"{prog}: error: {line}", file=sys.stderr)
    return 2


def check_overrides(overrides: Sequence[str]) -> list[str]:
    """A subcommand's scenario overrides, each ``key=value`` (one line otherwise)."""
    for o in overrides:
        if "=" not in o:
            raise CliError(f"override {o!r} is not key=value")
    return list(overrides)


def is_folder_mismatch(exc: BaseException) -> bool:
    """Whether ``exc`` refuses a folder: another config's run, foreign files, or in use."""
    from sim.experiment.lock import FolderBusy
    from sim.experiment.store import RunFolderMismatch

    return isinstance(exc, RunFolderMismatch | FolderBusy)


def require_extra(module: str, extra: str, command: str) -> None:
    """Refuse ``command`` in one line when ``module`` (an optional dependency) is missing."""
    from sim.extras import missing

    error = missing(module, extra, command)
    if error is not None:
        raise CliError(str(error))


class ArgParser(argparse.ArgumentParser):
    """argparse that reports errors as one :class:`CliError` line instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def show_path(path: str | Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for k, r in enumerate([header, *rows]):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
