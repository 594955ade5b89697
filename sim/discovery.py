"""Scenario discovery lite: which parameter ranges lead to an output above a threshold.

Given a table of cases (a sensitivity ``samples`` table, or a sweep's ``sweep.parquet``),
the cases *of interest* are those whose output is above (or below) a threshold. A shallow
scikit-learn decision tree (``max_depth`` 2-3, a minimum leaf size) partitions the input
space into boxes; every leaf richer in cases of interest than the table as a whole becomes a
readable rule (``navy.boarding_teams >= 4 AND court.delay_days.median <= 2.1``) with

- **coverage**: the share of all cases of interest that fall in the box, and
- **density**: the share of the cases in the box that are of interest,

sorted by density (then coverage). The tree weighs both classes equally
(``class_weight='balanced'``), so rare cases of interest still get their boxes.
Categorical inputs (``court.policy``) are one-hot encoded and read back as ``==``/``!=``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Condition",
    "DiscoveryError",
    "Rule",
    "RuleTable",
    "discover",
    "discovery_main",
    "format_rules",
    "infer_inputs",
    "load_table",
]

# Columns of a samples or sweep table that are neither inputs nor outputs.
_BOOKKEEPING = frozenset(
    {"point", "job", "run_dir", "replications", "target_met", "seed", "replication", "dir"}
)
_STAT_SUFFIXES = ("_mean", "_ci_low", "_ci_high", "_std", "_p05", "_p50", "_p95", "_n")


class DiscoveryError(ValueError):
    """A table, column or threshold that cannot be analysed; the message names it."""


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Condition:
    """One side of a box on one input: ``column op value``.

    ``op`` is ``>``, ``>=``, ``<=``, ``<`` (numeric), ``==``, ``!=`` (categorical) or
    ``in``/``not in`` (a tuple of categories).
    """

    column: str
    op: str
    value: Any

    def mask(self, df: pd.DataFrame) -> np.ndarray:
        """Which rows of ``df`` satisfy the condition."""
        col = df[self.column]
        if self.op in ("==", "!=", "in", "not in"):
            values = self.value if self.op in ("in", "not in") else (self.value,)
            inside = col.map(_category).isin([_category(v) for v in values]).to_numpy()
            return inside if self.op in ("==", "in") else ~inside
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return {
                ">": x > self.value,
                ">=": x >= self.value,
                "<=": x <= self.value,
                "<": x < self.value,
            }[self.op]

    def __str__(self) -> str:
        if self.op in ("in", "not in"):
            return f"{self.column} {self.op} {{{', '.join(map(_show, self.value))}}}"
        return f"{self.column} {self.op} {_show(self.value)}"


@dataclass(frozen=True)
class Rule:
    """A box (conditions joined by AND) and how well it captures the cases of interest."""

    conditions: tuple[Condition, ...]
    coverage: float
    density: float
    n: int
    n_interest: int

    @property
    def text(self) -> str:
        """``a > 1 AND 2 < b <= 5 AND c == x``: a lower and upper bound on one input merged."""
        if not self.conditions:
            return "(all cases)"
        parts: list[str] = []
        done: set[int] = set()
        for i, c in enumerate(self.conditions):
            if i in done:
                continue
            upper = next(
                (
                    j
                    for j, d in enumerate(self.conditions)
                    if j > i and d.column == c.column and d.op in ("<=", "<")
                ),
                None,
            )
            if c.op in (">", ">=") and upper is not None:
                d = self.conditions[upper]
                low_op = "<" if c.op == ">" else "<="
                parts.append(f"{_fmt(c.value)} {low_op} {c.column} {d.op} {_fmt(d.value)}")
                done.add(upper)
            else:
                parts.append(str(c))
        return " AND ".join(parts)

    def mask(self, df: pd.DataFrame) -> np.ndarray:
        """Which rows of ``df`` are inside the box."""
        m = np.ones(len(df), dtype=bool)
        for c in self.conditions:
            m &= c.mask(df)
        return m

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class RuleTable:
    """The rules found by :func:`discover`, best (densest) first.

    ``rules``: the :class:`Rule` objects; :attr:`table`: the same as a DataFrame (``rule``,
    ``density``, ``coverage``, ``n``, ``n_interest``); ``leaves``: every leaf of the tree,
    including those poorer than the base rate.
    """

    rules: tuple[Rule, ...]
    leaves: tuple[Rule, ...]
    output: str
    column: str
    threshold: float
    direction: str
    inputs: tuple[str, ...]
    n_cases: int
    n_interest: int
    dropped: int
    max_depth: int
    min_samples_leaf: int
    tree: Any = field(default=None, repr=False, compare=False)

    @property
    def base_rate(self) -> float:
        """Share of all cases that are of interest."""
        return self.n_interest / self.n_cases if self.n_cases else math.nan

    @property
    def table(self) -> pd.DataFrame:
        return _rules_frame(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, i: int) -> Rule:
        return self.rules[i]

    def __str__(self) -> str:
        return format_rules(self)


def _rules_frame(rules: Sequence[Rule]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [r.text for r in rules],
            "density": [r.density for r in rules],
            "coverage": [r.coverage for r in rules],
            "n": [r.n for r in rules],
            "n_interest": [r.n_interest for r in rules],
        },
        columns=["rule", "density", "coverage", "n", "n_interest"],
    )


def _fmt(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    digits = max(3, 3 - math.floor(math.log10(abs(x))))
    return f"{x:.{min(digits, 10)}g}" if abs(x) < 1e6 else f"{x:.4g}"


def _show(v: Any) -> str:
    if v is None:
        return "null"
    return _fmt(v) if isinstance(v, float) else str(v)


def _category(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "null"
    return str(v)


# --------------------------------------------------------------------------- input tables


def load_table(source: Any) -> pd.DataFrame:
    """A cases table from a DataFrame, a :class:`~sim.sensitivity.SensitivityResult` (its
    ``samples``), a parquet/CSV file, or a folder holding ``samples.parquet`` (a sensitivity
    result) or ``sweep.parquet`` (a sweep)."""
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(getattr(source, "samples", None), pd.DataFrame):  # a SensitivityResult
        return source.samples
    path = Path(source).expanduser()
    if path.is_dir():
        for name in ("samples.parquet", "sweep.parquet", "samples.csv", "sweep.csv"):
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise DiscoveryError(
                f"{path}: no samples.parquet (sensitivity result) or sweep.parquet (sweep) in "
                f"this folder"
            )
    if not path.is_file():
        raise DiscoveryError(f"{path}: no such file or folder")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path)
    except Exception as exc:  # a corrupt or foreign file
        raise DiscoveryError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    raise DiscoveryError(f"{path}: expected a .parquet or .csv table")


def _output_column(df: pd.DataFrame, output: str) -> str:
    if output in df.columns:
        return output
    if f"{output}_mean" in df.columns:
        return f"{output}_mean"
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    more = " ..." if len(numeric) > 12 else ""
    raise DiscoveryError(
        f"output {output!r}: no column {output!r} or {output + '_mean'!r} in the table "
        f"(numeric columns: {', '.join(map(str, numeric[:12]))}{more})"
    )


def infer_inputs(df: pd.DataFrame, output: str | None = None) -> list[str]:
    """The input columns of a samples or sweep table: not bookkeeping, not an output
    statistic (``<metric>_mean``, ...), not a metric, and taking more than one value."""
    from sim.sensitivity.declare import OUTPUTS

    metrics = set(OUTPUTS) | {f"baseline_{m}" for m in OUTPUTS}
    stats = {c for c in df.columns if str(c).endswith(_STAT_SUFFIXES)}
    out = []
    for c in df.columns:
        if c in _BOOKKEEPING or c in metrics or c in stats or c == output:
            continue
        if df[c].map(_category).nunique() > 1:
            out.append(str(c))
    return out


def _encode(df: pd.DataFrame, inputs: Sequence[str]) -> tuple[np.ndarray, list[tuple]]:
    """Feature matrix and, per feature, ``("num", column)`` or ``("cat", column, value)``."""
    cols: list[np.ndarray] = []
    features: list[tuple] = []
    for c in inputs:
        s = df[c]
        numeric = pd.to_numeric(s, errors="coerce")
        if (
            not pd.api.types.is_bool_dtype(s)
            and numeric.notna().all()
            and (pd.api.types.is_numeric_dtype(s) or s.map(_is_number).all())
        ):
            cols.append(numeric.to_numpy(dtype=float))
            features.append(("num", c))
            continue
        cats = s.map(_category)
        for value in sorted(cats.unique()):
            cols.append((cats == value).to_numpy(dtype=float))
            features.append(("cat", c, value))
    return np.column_stack(cols) if cols else np.zeros((len(df), 0)), features


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float | np.number):
        return not (isinstance(v, float) and math.isnan(v))
    try:
        float(str(v))
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- discovery


def discover(
    samples: Any,
    inputs: Sequence[str] | None = None,
    output: str = "export_decline",
    threshold: float = 0.5,
    *,
    direction: str = "above",
    max_depth: int = 2,
    min_samples_leaf: int | None = None,
    min_density: float | None = None,
    random_state: int = 0,
) -> RuleTable:
    """Readable rules for the input ranges where ``output`` is above ``threshold``.

    ``samples``: a DataFrame, or a path :func:`load_table` reads. ``inputs``: the input
    columns (default: :func:`infer_inputs`). ``output``: a column, or a metric whose
    ``<output>_mean`` column a sweep table has. ``direction='below'`` looks for output below
    the threshold instead. ``max_depth`` bounds the conditions per rule; ``min_samples_leaf``
    (default 5% of the cases, at least 1) keeps boxes from fitting single cases. Rules are
    the leaves whose density exceeds the base rate (or ``min_density``), densest first.
    Rows with a missing output or numeric input are dropped (counted in ``dropped``).
    """
    from sklearn.tree import DecisionTreeClassifier

    df = load_table(samples)
    if direction not in ("above", "below"):
        raise DiscoveryError(f"direction: must be 'above' or 'below' (got {direction!r})")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
        raise DiscoveryError(f"threshold: must be a number (got {threshold!r})")
    if not math.isfinite(float(threshold)):
        raise DiscoveryError(f"threshold: must be finite (got {threshold!r})")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
        raise DiscoveryError(f"max_depth: must be a positive integer (got {max_depth!r})")
    column = _output_column(df, output)
    if not pd.api.types.is_numeric_dtype(df[column]):
        raise DiscoveryError(f"output {column!r}: not a numeric column")
    if inputs is None:
        inputs = infer_inputs(df, column)
        if not inputs:
            raise DiscoveryError("inputs: no column varies across the table; name the inputs")
    inputs = [str(c) for c in inputs]
    for c in inputs:
        if c not in df.columns:
            raise DiscoveryError(
                f"input {c!r}: not a column of the table (columns: "
                f"{', '.join(map(str, df.columns[:15]))}{' ...' if len(df.columns) > 15 else ''})"
            )
        if c == column:
            raise DiscoveryError(f"input {c!r}: is the output itself")

    y_all = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(y_all)
    X_all, features = _encode(df, inputs)
    num_idx = [j for j, f in enumerate(features) if f[0] == "num"]
    if num_idx:
        keep &= np.isfinite(X_all[:, num_idx]).all(axis=1)
    dropped = int((~keep).sum())
    data = df.loc[keep].reset_index(drop=True)
    X, y_val = X_all[keep], y_all[keep]
    n = len(data)
    if n == 0:
        raise DiscoveryError(f"output {column!r}: no row has a finite value")
    interest = y_val > threshold if direction == "above" else y_val < threshold
    n_interest = int(interest.sum())
    leaf_min = max(1, int(0.05 * n)) if min_samples_leaf is None else int(min_samples_leaf)
    if leaf_min < 1:
        raise DiscoveryError(f"min_samples_leaf: must be >= 1 (got {min_samples_leaf!r})")
    common = {
        "output": output,
        "column": column,
        "threshold": float(threshold),
        "direction": direction,
        "inputs": tuple(inputs),
        "n_cases": n,
        "n_interest": n_interest,
        "dropped": dropped,
        "max_depth": max_depth,
        "min_samples_leaf": leaf_min,
    }
    if n_interest in (0, n):  # nothing to separate: one box, all or nothing
        everything = Rule((), 1.0 if n_interest else math.nan, n_interest / n, n, n_interest)
        rules = (everything,) if n_interest else ()
        return RuleTable(rules=rules, leaves=(everything,), **common)

    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=leaf_min,
        class_weight="balanced",
        random_state=random_state,
    )
    tree.fit(X, interest.astype(int))
    leaves = []
    for conds in _leaf_paths(tree, features, data):
        rule_conds = _merge(conds, data)
        inside = np.ones(n, dtype=bool)
        for c in rule_conds:
            inside &= c.mask(data)
        k = int(inside.sum())
        hits = int((inside & interest).sum())
        leaves.append(
            Rule(
                conditions=rule_conds,
                coverage=hits / n_interest,
                density=hits / k if k else math.nan,
                n=k,
                n_interest=hits,
            )
        )
    floor = n_interest / n if min_density is None else float(min_density)
    chosen = [
        r
        for r in leaves
        if r.n and (r.density > floor if min_density is None else r.density >= floor)
    ]
    chosen.sort(key=lambda r: (-r.density, -r.coverage, r.text))
    return RuleTable(rules=tuple(chosen), leaves=tuple(leaves), tree=tree, **common)


def _leaf_paths(tree: Any, features: list[tuple], data: pd.DataFrame) -> list[list[tuple]]:
    """The split conditions ``(feature, is_left, threshold)`` from the root to each leaf."""
    t = tree.tree_
    paths: list[list[tuple]] = []

    def walk(node: int, conds: list[tuple]) -> None:
        left, right = t.children_left[node], t.children_right[node]
        weights = t.value[node][0]
        pure = weights.min() <= 1e-9 * weights.sum()  # sklearn may split on round-off
        if left == right or pure:  # a leaf
            paths.append(conds)
            return
        f, thr = features[t.feature[node]], float(t.threshold[node])
        walk(left, [*conds, (f, True, thr)])
        walk(right, [*conds, (f, False, thr)])

    walk(0, [])
    return paths


def _merge(conds: list[tuple], data: pd.DataFrame) -> tuple[Condition, ...]:
    """One interval per numeric input and one (not) in-set per categorical input."""
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    equal: dict[str, str] = {}
    excluded: dict[str, list[str]] = {}
    order: list[str] = []
    for f, is_left, thr in conds:
        col = f[1]
        if col not in order:
            order.append(col)
        if f[0] == "num":
            if is_left:  # x <= thr
                highs[col] = min(highs.get(col, math.inf), thr)
            else:  # x > thr
                lows[col] = max(lows.get(col, -math.inf), thr)
        elif is_left:  # dummy <= 0.5: not this category
            excluded.setdefault(col, []).append(f[2])
        else:
            equal[col] = f[2]
    out: list[Condition] = []
    for col in order:
        if col in equal:
            out.append(Condition(col, "==", _typed(equal[col], data[col])))
        elif col in excluded:
            remaining = sorted(set(data[col].map(_category)) - set(excluded[col]))
            if len(remaining) == 1:  # "!= a" with two categories reads better as "== b"
                out.append(Condition(col, "==", _typed(remaining[0], data[col])))
                continue
            values = tuple(_typed(v, data[col]) for v in sorted(set(excluded[col])))
            out.append(
                Condition(col, "!=", values[0])
                if len(values) == 1
                else Condition(col, "not in", values)
            )
        else:
            integer = _integer_column(data[col])
            if col in lows:
                lo = lows[col]
                out.append(
                    Condition(col, ">=", float(math.floor(lo) + 1))
                    if integer
                    else Condition(col, ">", lo)
                )
            if col in highs:
                hi = highs[col]
                out.append(
                    Condition(col, "<=", float(math.floor(hi)))
                    if integer
                    else Condition(col, "<=", hi)
                )
    return tuple(out)


def _typed(category: str, column: pd.Series) -> Any:
    """The original value of a category label (for display and masks it is the label)."""
    for v in column:
        if _category(v) == category:
            return v if not (isinstance(v, float) and math.isnan(v)) else None
    return category


def _integer_column(s: pd.Series) -> bool:
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return bool(len(x)) and bool(np.all(np.isfinite(x) & (x == np.round(x))))


# --------------------------------------------------------------------------- printing


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def format_rules(table: RuleTable, max_rules: int | None = None) -> str:
    """The rule table as readable text, densest rule first."""
    word = ">" if table.direction == "above" else "<"
    head = (
        f"Cases with {table.column} {word} {_fmt(table.threshold)}: {table.n_interest} of "
        f"{table.n_cases} ({_pct(table.base_rate)})"
        + (f"; {table.dropped} row(s) with missing values dropped" if table.dropped else "")
    )
    lines = [
        head,
        f"Inputs: {', '.join(table.inputs)}. Decision tree: depth <= {table.max_depth}, "
        f">= {table.min_samples_leaf} case(s) per box.",
    ]
    if not table.rules:
        if table.n_interest == 0:
            lines.append("No case is of interest: no rule.")
        else:
            lines.append("No box is richer in cases of interest than the table as a whole.")
        return "\n".join(lines)
    rules = table.rules if max_rules is None else table.rules[:max_rules]
    width = len(str(len(rules)))
    lines.append("")
    lines.append(f"{'#':>{width}}  density  coverage  cases  rule")
    for i, r in enumerate(rules, 1):
        lines.append(
            f"{i:>{width}}  {_pct(r.density):>7}  {_pct(r.coverage):>8}  {r.n:>5}  {r.text}"
        )
    lines.append("")
    lines.append(
        "density: share of the cases in the box that are of interest; coverage: share of all "
        "cases of interest inside the box."
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def discovery_main(argv: list[str]) -> int:
    """``blockade discover TABLE --output export_decline --threshold 0.5``: print the rules.

    TABLE is a sensitivity result folder (``samples.parquet``), a sweep folder
    (``sweep.parquet``) or a parquet/CSV file. Returns 0, or 2 with one line on stderr.
    """
    from sim.sensitivity.cli import ArgError, OneLineParser, fail

    p = OneLineParser(
        prog="blockade discover",
        description="Scenario discovery: readable rules (decision-tree boxes) for the input "
        "ranges where an output is above a threshold, with coverage and density.",
    )
    p.add_argument("table", help="sensitivity or sweep folder, or a .parquet/.csv table")
    p.add_argument(
        "--output",
        default="export_decline",
        help="output column or sweep metric (default: %(default)s)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        required=True,
        help="cases of interest: output above this (export_decline: a fraction)",
    )
    p.add_argument("--below", action="store_true", help="look for output below the threshold")
    p.add_argument(
        "--inputs",
        default=None,
        metavar="A,B",
        help="comma-separated input columns (default: every varying input)",
    )
    p.add_argument("--max-depth", type=int, default=2, help="conditions per rule (default 2)")
    p.add_argument(
        "--min-leaf",
        type=int,
        default=None,
        help="minimum cases per box (default: 5%% of the cases)",
    )
    p.add_argument("--csv", default=None, metavar="PATH", help="also write the rules as CSV")
    try:
        args = p.parse_args(argv)
        inputs = [c.strip() for c in args.inputs.split(",") if c.strip()] if args.inputs else None
        table = discover(
            args.table,
            inputs,
            args.output,
            args.threshold,
            direction="below" if args.below else "above",
            max_depth=args.max_depth,
            min_samples_leaf=args.min_leaf,
        )
    except (ArgError, DiscoveryError) as exc:
        return fail("discover", str(exc))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(format_rules(table))
    if args.csv:
        from sim.experiment.atomic import write_atomic

        write_atomic(args.csv, lambda tmp: table.table.to_csv(tmp, index=False))
        print(f"Rules written to {args.csv}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(discovery_main(sys.argv[1:]))
