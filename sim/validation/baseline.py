"""The Venezuela baseline against the facts of docs/sources.md (F10-F12, F19)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.formatting import fmt_number
from sim.validation.markdown import fmt_ci, fmt_k, table
from sim.validation.theory import ci_of

__all__ = ["baseline_rows", "baseline_section"]


def baseline_rows(ref: pd.DataFrame, horizon: float) -> list[dict[str, Any]]:
    """Model quantities against the facts of docs/sources.md they are fitted to or checked on."""

    def item(col: str, scale: float = 1.0) -> dict[str, Any]:
        mean, lo, hi, n = ci_of(ref[col] / scale)
        return {"mean": mean, "low": lo, "high": hi, "n": n}

    f10 = [867e3, 934e3, 699e3, 779e3, 727e3, 1.09e6, 808e3, 921e3]
    return [
        {
            "label": "baseline exports",
            "metric": "`baseline_exported_bpd`",
            **item("baseline_exported_bpd"),
            "fact": "F10-F12: pre-blockade exports 600-920k bpd; F11 770k",
            "range": (600e3, 920e3),
            "points": [770e3],
        },
        {
            "label": "baseline loadings",
            "metric": "`baseline_loaded_bbl` / horizon",
            **item("baseline_loaded_bbl", horizon),
            "fact": "F12 ship loadings Sep-Nov 428-815k bpd; F11 770k (the flow)",
            "range": (428e3, 815e3),
            "points": [815e3, 428e3, 600e3, 770e3],
        },
        {
            "label": "Chevron, baseline",
            "metric": "`baseline_exported_licensed_bbl` / horizon",
            **item("baseline_exported_licensed_bbl", horizon),
            "fact": "F19: licensed exports 105-150k bpd (Sep-Nov 2025)",
            "range": (105e3, 150e3),
            "points": [105e3, 128e3, 150e3],
        },
        {
            "label": "Chevron, blockade",
            "metric": "`exported_licensed_bbl` / horizon",
            **item("exported_licensed_bbl", horizon),
            "fact": "F19: 105-150k bpd; F3: only Chevron's tankers sailed",
            "range": (105e3, 150e3),
            "points": [105e3, 128e3, 150e3],
        },
        {
            "label": "F10 monthly exports (context)",
            "metric": "–",
            "mean": math.nan,
            "low": math.nan,
            "high": math.nan,
            "n": 0,
            "fact": "F10 Reuters monthly 2025, crude + fuel",
            "range": (min(f10), max(f10)),
            "points": f10,
        },
    ]


def _position(f: dict[str, Any]) -> str:
    """Where the model's interval lies against the range of the facts."""
    lo, hi = f["range"]
    if not math.isfinite(f["mean"]):
        return "–"
    if lo <= f["low"] and f["high"] <= hi:
        return "CI inside the range"
    if lo <= f["mean"] <= hi:
        return "mean inside, CI crosses an end"
    return "**outside the range**"


def baseline_section(
    ref: pd.DataFrame, horizon: float
) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Markdown of the baseline section, the facts (for the figure) and the surprises."""
    facts = baseline_rows(ref, horizon)
    model = [f for f in facts if math.isfinite(f["mean"])]
    body = [
        [
            f["label"],
            f["metric"],
            fmt_k(f["mean"]),
            f"[{fmt_k(f['low'])}, {fmt_k(f['high'])}]",
            str(f["n"]),
            f["fact"],
            _position(f),
        ]
        for f in model
    ]
    lines = table(
        ["quantity", "metric", "model mean (bpd)", "95% CI", "n", "facts", "verdict"], body
    )
    surprises = [
        f"Venezuela: {f['label']} {fmt_k(f['mean'])} bpd is outside {f['fact']}."
        for f in model
        if _position(f).startswith("**")
    ]
    ctx = []
    for col, label, scale in (
        ("exported_bpd", "exports under blockade (bpd)", 1.0),
        ("export_decline", "export decline", 1.0),
        ("seizures", "seizures", 1.0),
        ("escapes", "escapes", 1.0),
        ("turnbacks", "turn-backs", 1.0),
        ("baseline_mean_berth_wait_days", "baseline mean berth wait (d)", 1.0),
    ):
        mean, lo, hi, n = ci_of(ref[col] / scale)
        ctx.append([label, f"`{col}`", fmt_number(mean), fmt_ci(lo, hi), str(n)])
    lines += [
        "",
        "For context, the blockade side of the same replications:",
        "",
        *table(["quantity", "metric", "mean", "95% CI", "n"], ctx),
    ]
    return lines, facts, surprises
