"""``summary.json``: the summary table of :func:`sim.experiment.stats.summarize` and back.

The file holds the table's attributes (the stopping outcome), its column names and one
record per metric; ``n`` is an integer, every other column a float (NaN stored as ``null``
by :func:`sim.experiment.atomic.write_json_atomic`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["summary_from_json", "summary_to_json"]


def summary_to_json(summary: pd.DataFrame) -> dict[str, Any]:
    """``summary.json``: the stopping outcome (``summary.attrs``) and one record per metric."""
    records = []
    for metric, row in summary.iterrows():
        rec: dict[str, Any] = {"metric": str(metric)}
        for col in summary.columns:
            v = row[col]
            rec[str(col)] = int(v) if col == "n" else float(v)
        records.append(rec)
    attrs = {str(k): v for k, v in summary.attrs.items()}
    return {**attrs, "columns": [str(c) for c in summary.columns], "metrics": records}


def summary_from_json(doc: dict[str, Any]) -> pd.DataFrame:
    """The summary table back from :func:`summary_to_json`."""
    columns = doc["columns"]
    records = doc["metrics"]
    index = pd.Index([r["metric"] for r in records], name="metric")
    data = {
        c: [(r[c] if c == "n" else (math.nan if r[c] is None else float(r[c]))) for r in records]
        for c in columns
    }
    frame = pd.DataFrame(data, index=index, columns=columns)
    frame = frame.astype({c: ("int64" if c == "n" else "float64") for c in columns})
    frame.attrs.update({k: v for k, v in doc.items() if k not in ("columns", "metrics")})
    return frame
