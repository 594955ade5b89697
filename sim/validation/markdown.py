"""Markdown pieces of the validation report: intervals, thousands, tables."""

from __future__ import annotations

from collections.abc import Sequence

from sim.formatting import fmt_number

__all__ = ["fmt_ci", "fmt_k", "table"]


def fmt_ci(lo: float, hi: float, digits: int = 3) -> str:
    """A 95% interval: ``[lo, hi]``."""
    return f"[{fmt_number(lo, digits)}, {fmt_number(hi, digits)}]"


def fmt_k(x: float) -> str:
    """bpd in thousands."""
    return f"{x / 1000:,.0f}k"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out
