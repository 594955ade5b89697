"""The scenario's first 22 days against December 2025 (O1-O4 of docs/sources.md).

A December figure mixes 9 pre-blockade days (1-9 Dec, days -9..-1) with the 22 blockade days
0-21 the model simulates. We take the pre-blockade days at November's rate (the month before)
and compare the model's days 0-21 with the rest::

    blockade-days rate = (31 * December - 9 * November) / 22

For floating storage (O2) the whole month's figure is compared, as a range: cargo that went
aboard on 1-9 Dec and was still in port on the 31st counts in O2 but not in the model's
cargo loaded during the run, so the model should sit at or below O2's month total.

    python -m benchmarks.december [--replications N] [--markdown PATH] [key=value ...]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim
from sim.experiment.atomic import write_text_atomic
from sim.formatting import fmt_number as fmt
from sim.validation.markdown import table

DAYS = 22  # days 0-21: 10-31 December 2025
PRE_DAYS = 9  # 1-9 December, before the first seizure
MONTH = 31


def blockade_rate(december: float, november: float) -> float:
    """The mean rate over days 0-21 implied by a December and a November monthly rate."""
    return (MONTH * december - PRE_DAYS * november) / DAYS


@dataclass(frozen=True)
class Observation:
    """One December figure, as the model's days 0-21 should show it."""

    id: str
    what: str
    low: float  # the range the model's mean should fall in (its unit below)
    high: float
    unit: str
    how: str


OBSERVATIONS = (
    Observation(
        "O1",
        "loadings, days 0-21 (kbpd)",
        blockade_rate(423, 600),
        blockade_rate(423, 600),
        "kbpd",
        "(31 x 423 - 9 x 600) / 22, Chevron included",
    ),
    Observation(
        "O2",
        "new floating storage at day 21 (million bbl)",
        5.0,
        236 * MONTH / 1000,
        "million bbl",
        "about 5 (O1 with O2, sources note) to 236k bpd x 31 days",
    ),
    Observation(
        "O3-O4",
        "exports, days 0-21 (kbpd)",
        blockade_rate(187, 600),
        blockade_rate(600, 930),
        "kbpd",
        "from O2's effective exports (187k, against 600k loadings) to O4's crude (600k against "
        "~930k); O3 (498k against 921k, fuel included) gives "
        f"{blockade_rate(498, 921):.0f}",
    ),
)


def model_figures(cfg: sim.Config, n: int) -> pd.DataFrame:
    """Per replication: the model's figures of :data:`OBSERVATIONS`, in their units."""
    rows = []
    for i in range(n):
        rep = sim.simulate(cfg, seed=cfg.experiment.seed, replication=i, record_events=False)
        days = rep.timeseries.iloc[:DAYS]
        rows.append(
            {
                "O1": days["loaded_bbl"].sum() / DAYS / 1e3,
                "O2": days["floating_new_bbl"].iloc[-1] / 1e6,
                "O3-O4": days["exported_bbl"].sum() / DAYS / 1e3,
            }
        )
    return pd.DataFrame(rows)


def rows(figures: pd.DataFrame) -> list[list[str]]:
    """The comparison table: observation, range, model mean [p05, p95], verdict."""
    out = []
    for ob in OBSERVATIONS:
        v = figures[ob.id].to_numpy()
        mean = float(v.mean())
        lo, hi = (float(q) for q in np.quantile(v, [0.05, 0.95]))
        inside = ob.low * 0.9 <= mean <= ob.high * 1.1
        span = fmt(ob.low) if ob.low == ob.high else f"{fmt(ob.low)}-{fmt(ob.high)}"
        out.append(
            [
                ob.id,
                ob.what,
                span,
                f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]",
                "within 10%" if inside else ("above" if mean > ob.high else "below"),
                ob.how,
            ]
        )
    return out


HEADER = ("obs", "figure", "December, corrected", "model mean [p05, p95]", "", "how")


def markdown_lines(replications: int, overrides: Sequence[str] = ()) -> list[str]:
    """The validation report's subsection: the comparison table and how it is made."""
    cfg = sim.load_config("venezuela_dec2025", list(overrides))
    return [
        "### December 2025: the first 22 days against O1-O4",
        "",
        f"`python -m benchmarks.december --replications {replications}`: the model's days "
        "0-21 (10-31 Dec) against the December figures, each corrected for the 9 pre-blockade "
        "days taken at November's rate: `(31 x December - 9 x November) / 22`. The sources "
        "disagree: O2's floating storage alone (7.3M bbl) plus Chevron's ~150k bpd would need "
        "~480k bpd of loadings, above O1's corrected 351k. A fit of the uncertain parameters "
        "to these figures is the calibration issue's work (pyabc).",
        "",
        *table(HEADER, rows(model_figures(cfg, replications))),
        "",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.december", description=__doc__)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--markdown", help="write the table to this file")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of the scenario")
    args = parser.parse_args(argv)
    cfg = sim.load_config("venezuela_dec2025", args.overrides)
    lines = table(HEADER, rows(model_figures(cfg, args.replications)))
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        write_text_atomic(args.markdown, text)


if __name__ == "__main__":
    main()
