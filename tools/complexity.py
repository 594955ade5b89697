"""Refuse functions longer than ``MAX_LINES`` or more complex than ``MAX_CC`` (radon's
cyclomatic complexity), outside the plotting modules, whose chart builders are long lists
of drawing calls. ``python -m tools.complexity [PATH ...]``; exit 1 names each offender."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Function

MAX_LINES = 60
MAX_CC = 15
ROOTS = ("sim", "benchmarks", "tools")
#: Chart builders: a long, flat sequence of matplotlib calls (the issue's "outside plotting").
PLOTTING = (
    "sim/analysis/plots.py",
    "sim/analysis/charts",
    "sim/sensitivity/plots.py",
    "sim/calibration/plots.py",
    "sim/analysis/sweep.py",  # the sweep charts (the table itself: sim/sweep_table.py)
)


def _functions(path: Path) -> Iterator[Function]:
    # cc_visit lists every function and method once (a class's methods also sit inside it)
    for block in cc_visit(path.read_text(encoding="utf-8")):
        if isinstance(block, Function):
            yield block


def offenders(paths: list[Path]) -> list[str]:
    """One line per function over either limit: ``path:line name: N lines, CC M``."""
    out = []
    for path in paths:
        if any(path.as_posix().startswith(p) for p in PLOTTING):
            continue
        for fn in _functions(path):
            lines = fn.endline - fn.lineno + 1
            if lines > MAX_LINES or fn.complexity > MAX_CC:
                out.append(f"{path}:{fn.lineno} {fn.fullname}: {lines} lines, CC {fn.complexity}")
    return out


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(r) for r in ROOTS]
    paths = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.py")))
    found = offenders(paths)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} function(s) over {MAX_LINES} lines or CC {MAX_CC}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
