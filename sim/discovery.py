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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import Metric

__all__ = [
    "Condition",
    "DiscoveryError",
    "Rule",
    "RuleTable",
    "check_threshold",
    "discover",
    "display_threshold",
    "format_rules",
    "infer_inputs",
    "load_table",
    "output_metric",
    "stored_threshold",
]

#: Columns of a sensitivity ``samples`` table that are not inputs (``sim.sensitivity.run``).
SAMPLES_KEYS = frozenset({"point", "replication", "seed"})
#: ``df.attrs`` key of a table's recorded inputs (a sensitivity manifest's ``parameters``).
PARAMETERS_ATTR = "parameters"


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


def _with_parameters(df: pd.DataFrame, manifest: Any) -> pd.DataFrame:
    """``df`` with a sensitivity manifest's ``parameters`` recorded in its attrs."""
    parameters = manifest.get("parameters") if isinstance(manifest, dict) else None
    if isinstance(parameters, list):
        df.attrs[PARAMETERS_ATTR] = [str(p) for p in parameters]
    return df


def _read_folder(path: Path) -> pd.DataFrame:
    """A sensitivity result folder's samples (inputs from its manifest) or a sweep's table
    (inputs from its plan)."""
    from sim.experiment.atomic import read_json
    from sim.experiment.store import MANIFEST_FILE
    from sim.sweep_table import CSV_FILE, TABLE_FILE, load_sweep

    for name in ("samples.parquet", "samples.csv"):
        if (path / name).is_file():
            try:
                manifest = read_json(path / MANIFEST_FILE)
            except (OSError, ValueError):
                manifest = None
            return _with_parameters(_read_file(path / name), manifest)
    if (path / TABLE_FILE).is_file() or (path / CSV_FILE).is_file():
        try:
            return load_sweep(path)
        except Exception as exc:  # a corrupt or foreign file
            raise DiscoveryError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    raise DiscoveryError(
        f"{path}: no samples.parquet (sensitivity result) or sweep.parquet (sweep) in this folder"
    )


def _read_file(path: Path) -> pd.DataFrame:
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


def load_table(source: Any) -> pd.DataFrame:
    """A cases table from a DataFrame, a :class:`~sim.sensitivity.SensitivityResult` (its
    ``samples``), a parquet/CSV file, or a folder holding ``samples.parquet`` (a sensitivity
    result) or ``sweep.parquet`` (a sweep). A folder's or result's record of its inputs (the
    manifest's parameters, the sweep plan's swept keys) comes along in ``df.attrs``."""
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(getattr(source, "samples", None), pd.DataFrame):  # a SensitivityResult
        return _with_parameters(source.samples.copy(), getattr(source, "manifest", None))
    path = Path(source).expanduser()
    return _read_folder(path) if path.is_dir() else _read_file(path)


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


def _recorded_inputs(df: pd.DataFrame) -> list[str] | None:
    """The inputs the table's record names: a sensitivity run's parameters or a sweep's
    swept keys (None: no record)."""
    from sim.sweep_table import has_record, swept_keys

    if PARAMETERS_ATTR in df.attrs:
        return [c for c in df.attrs[PARAMETERS_ATTR] if c in df.columns]
    return swept_keys(df) if has_record(df) else None


def _guessed_inputs(df: pd.DataFrame) -> list[str]:
    """A table without a record: the sweep table's inferred override columns, less a
    samples table's bookkeeping and any metric (``baseline_`` included)."""
    from sim.metrics import REGISTRY
    from sim.sweep_table import infer_override_columns

    metrics = set(REGISTRY) | {f"baseline_{m}" for m in REGISTRY}
    return [c for c in infer_override_columns(df) if c not in SAMPLES_KEYS | metrics]


def infer_inputs(df: pd.DataFrame, output: str | None = None) -> list[str]:
    """The input columns of a samples or sweep table that take more than one value: those
    its record names (:func:`load_table`), else the columns that are neither bookkeeping,
    a metric nor a metric statistic."""
    candidates = _recorded_inputs(df)
    if candidates is None:
        candidates = _guessed_inputs(df)
    return [c for c in candidates if c != output and df[c].map(_category).nunique() > 1]


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


@dataclass(frozen=True)
class _Cases:
    """The rows a tree is fitted on: inputs encoded, output and the cases of interest."""

    data: pd.DataFrame
    X: np.ndarray
    features: list[tuple]
    interest: np.ndarray
    dropped: int

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def n_interest(self) -> int:
        return int(self.interest.sum())


def _check_settings(direction: str, threshold: float, max_depth: int) -> None:
    if direction not in ("above", "below"):
        raise DiscoveryError(f"direction: must be 'above' or 'below' (got {direction!r})")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
        raise DiscoveryError(f"threshold: must be a number (got {threshold!r})")
    if not math.isfinite(float(threshold)):
        raise DiscoveryError(f"threshold: must be finite (got {threshold!r})")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
        raise DiscoveryError(f"max_depth: must be a positive integer (got {max_depth!r})")


def _check_inputs(df: pd.DataFrame, inputs: Sequence[str] | None, column: str) -> list[str]:
    """The input columns: ``inputs`` checked against the table, or :func:`infer_inputs`."""
    if inputs is None:
        inputs = infer_inputs(df, column)
        if not inputs:
            raise DiscoveryError("inputs: no column varies across the table; name the inputs")
    names = [str(c) for c in inputs]
    for c in names:
        if c not in df.columns:
            more = " ..." if len(df.columns) > 15 else ""
            raise DiscoveryError(
                f"input {c!r}: not a column of the table (columns: "
                f"{', '.join(map(str, df.columns[:15]))}{more})"
            )
        if c == column:
            raise DiscoveryError(f"input {c!r}: is the output itself")
    return names


def _cases(
    df: pd.DataFrame, column: str, inputs: list[str], threshold: float, direction: str
) -> _Cases:
    """The rows with a finite output and numeric inputs, encoded, and which are of interest."""
    y_all = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(y_all)
    X_all, features = _encode(df, inputs)
    num_idx = [j for j, f in enumerate(features) if f[0] == "num"]
    if num_idx:
        keep &= np.isfinite(X_all[:, num_idx]).all(axis=1)
    if not keep.any():
        raise DiscoveryError(f"output {column!r}: no row has a finite value")
    y = y_all[keep]
    interest = y > threshold if direction == "above" else y < threshold
    data = df.loc[keep].reset_index(drop=True)
    return _Cases(data, X_all[keep], features, interest, int((~keep).sum()))


def _leaf_rules(tree: Any, cases: _Cases) -> list[Rule]:
    """One rule per leaf of the fitted tree, with its coverage and density."""
    leaves = []
    for conds in _leaf_paths(tree, cases.features, cases.data):
        rule_conds = _merge(conds, cases.data)
        inside = np.ones(cases.n, dtype=bool)
        for c in rule_conds:
            inside &= c.mask(cases.data)
        k = int(inside.sum())
        hits = int((inside & cases.interest).sum())
        density = hits / k if k else math.nan
        leaves.append(Rule(rule_conds, hits / cases.n_interest, density, k, hits))
    return leaves


def _chosen(leaves: list[Rule], base_rate: float, min_density: float | None) -> tuple[Rule, ...]:
    """The leaves denser than the base rate (or at least ``min_density``), densest first."""
    if min_density is None:
        chosen = [r for r in leaves if r.n and r.density > base_rate]
    else:
        chosen = [r for r in leaves if r.n and r.density >= float(min_density)]
    chosen.sort(key=lambda r: (-r.density, -r.coverage, r.text))
    return tuple(chosen)


def _fit_tree(cases: _Cases, max_depth: int, leaf_min: int, random_state: int) -> Any:
    """A shallow decision tree of interest over the encoded inputs (classes weighed equally)."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=leaf_min,
        class_weight="balanced",
        random_state=random_state,
    )
    return tree.fit(cases.X, cases.interest.astype(int))


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
    ``<output>_mean`` a sweep table has. ``threshold``: as stored (the decline a fraction; the
    CLI's in %: :func:`stored_threshold`); ``direction='below'``: below it. ``max_depth``
    bounds the conditions per rule; ``min_samples_leaf`` (default 5% of the cases, >= 1) keeps
    boxes from fitting single cases. Rules: leaves denser than the base rate (or
    ``min_density``), densest first. Rows missing a value are dropped. Needs scikit-learn.
    """
    from sim.extras import require

    require("sklearn", "discover", "discover()")
    df = load_table(samples)
    _check_settings(direction, threshold, max_depth)
    column = _output_column(df, output)
    if not pd.api.types.is_numeric_dtype(df[column]):
        raise DiscoveryError(f"output {column!r}: not a numeric column")
    names = _check_inputs(df, inputs, column)
    cases = _cases(df, column, names, float(threshold), direction)
    leaf_min = max(1, int(0.05 * cases.n)) if min_samples_leaf is None else int(min_samples_leaf)
    if leaf_min < 1:
        raise DiscoveryError(f"min_samples_leaf: must be >= 1 (got {min_samples_leaf!r})")

    def table(rules: tuple[Rule, ...], leaves: tuple[Rule, ...], tree: Any = None) -> RuleTable:
        return RuleTable(
            rules=rules,
            leaves=leaves,
            output=output,
            column=column,
            threshold=float(threshold),
            direction=direction,
            inputs=tuple(names),
            n_cases=cases.n,
            n_interest=cases.n_interest,
            dropped=cases.dropped,
            max_depth=max_depth,
            min_samples_leaf=leaf_min,
            tree=tree,
        )

    n, n_interest = cases.n, cases.n_interest
    if n_interest in (0, n):  # nothing to separate: one box, all or nothing
        everything = Rule((), 1.0 if n_interest else math.nan, n_interest / n, n, n_interest)
        return table((everything,) if n_interest else (), (everything,))
    tree = _fit_tree(cases, max_depth, leaf_min, random_state)
    leaves = _leaf_rules(tree, cases)
    return table(_chosen(leaves, n_interest / n, min_density), tuple(leaves), tree)


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


@dataclass
class _Bounds:
    """What the splits on the way to a leaf say about each input, in order of first use."""

    order: list[str] = field(default_factory=list)
    lows: dict[str, float] = field(default_factory=dict)
    highs: dict[str, float] = field(default_factory=dict)
    equal: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)

    def add(self, f: tuple, is_left: bool, thr: float) -> None:
        col = f[1]
        if col not in self.order:
            self.order.append(col)
        if f[0] == "num":
            if is_left:  # x <= thr
                self.highs[col] = min(self.highs.get(col, math.inf), thr)
            else:  # x > thr
                self.lows[col] = max(self.lows.get(col, -math.inf), thr)
        elif is_left:  # dummy <= 0.5: not this category
            self.excluded.setdefault(col, []).append(f[2])
        else:
            self.equal[col] = f[2]


def _excluded_condition(col: str, excluded: list[str], data: pd.DataFrame) -> Condition:
    """``!=`` / ``not in`` the excluded categories, or ``==`` the one that remains."""
    remaining = sorted(set(data[col].map(_category)) - set(excluded))
    if len(remaining) == 1:  # "!= a" with two categories reads better as "== b"
        return Condition(col, "==", _typed(remaining[0], data[col]))
    values = tuple(_typed(v, data[col]) for v in sorted(set(excluded)))
    return Condition(col, "!=", values[0]) if len(values) == 1 else Condition(col, "not in", values)


def _numeric_conditions(col: str, bounds: _Bounds, data: pd.DataFrame) -> list[Condition]:
    """The lower and upper bound of ``col`` (whole numbers for an integer column)."""
    integer = _integer_column(data[col])
    out = []
    if col in bounds.lows:
        lo = bounds.lows[col]
        out.append(
            Condition(col, ">=", float(math.floor(lo) + 1)) if integer else Condition(col, ">", lo)
        )
    if col in bounds.highs:
        hi = bounds.highs[col]
        out.append(Condition(col, "<=", float(math.floor(hi)) if integer else hi))
    return out


def _merge(conds: list[tuple], data: pd.DataFrame) -> tuple[Condition, ...]:
    """One interval per numeric input and one (not) in-set per categorical input."""
    bounds = _Bounds()
    for f, is_left, thr in conds:
        bounds.add(f, is_left, thr)
    out: list[Condition] = []
    for col in bounds.order:
        if col in bounds.equal:
            out.append(Condition(col, "==", _typed(bounds.equal[col], data[col])))
        elif col in bounds.excluded:
            out.append(_excluded_condition(col, bounds.excluded[col], data))
        else:
            out += _numeric_conditions(col, bounds, data)
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


# --------------------------------------------------------------------------- units


def output_metric(output: str) -> Metric:
    """The registry entry of an output: a metric, or a sweep table's ``<metric>_<stat>``
    (an unknown column gets a unitless entry, its values shown as stored)."""
    from sim.metrics import REGISTRY, metric
    from sim.sweep_table import SWEEP_STATS

    for stat in SWEEP_STATS:
        base = output.removesuffix(f"_{stat}")
        if base != output and metric(base).name in REGISTRY:
            return metric(base)
    return metric(output)


def _label(output: str) -> str:
    m = output_metric(output)
    from sim.metrics import REGISTRY

    return m.label[:1].lower() + m.label[1:] if m.name in REGISTRY else output


def _with_unit(value: float, m: Metric) -> str:
    shown = _fmt(value)
    if not m.unit:
        return shown
    return f"{shown}{m.unit}" if m.unit == "%" else f"{shown} {m.unit}"


def display_threshold(threshold: float, m: Metric) -> str:
    """A stored threshold in the metric's display unit, with the unit (0.7 -> "70%")."""
    return _with_unit(m.show(threshold), m)


def stored_threshold(value: float, output: str) -> float:
    """A threshold given in the display unit of ``output``'s metric, as the table stores it
    (export decline: 70 (%) -> 0.7)."""
    scale = output_metric(output).scale
    inverse = 1 / scale
    if scale < 1 and math.isclose(inverse, round(inverse)):
        return float(value) / round(inverse)  # 70 / 100, exactly 0.7
    return float(value) * scale


def check_threshold(df: pd.DataFrame, output: str, threshold: float, direction: str) -> None:
    """Refuse a threshold that leaves no case, or every case, of interest (one line, in the
    display unit, with the range of the cases)."""
    column = _output_column(df, output)
    y = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    y = y[np.isfinite(y)]
    if not len(y):
        raise DiscoveryError(f"output {column!r}: no row has a finite value")
    interest = int((y > threshold).sum() if direction == "above" else (y < threshold).sum())
    if 0 < interest < len(y):
        return
    m = output_metric(output)
    which = "no case is" if interest == 0 else "every case is"
    unit = f"; the threshold is in {m.unit}" if m.unit else ""
    raise DiscoveryError(
        f"threshold: {which} {direction} {display_threshold(threshold, m)} ({_label(output)} "
        f"runs from {display_threshold(float(y.min()), m)} to "
        f"{display_threshold(float(y.max()), m)} in this table{unit})"
    )


# --------------------------------------------------------------------------- printing


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def format_rules(table: RuleTable, max_rules: int | None = None) -> str:
    """The rule table as readable text, densest rule first."""
    word = ">" if table.direction == "above" else "<"
    m = output_metric(table.output)
    stored = f" ({table.column} {word} {_fmt(table.threshold)} as stored)" if m.scale != 1 else ""
    head = (
        f"Cases with {_label(table.output)} {word} {display_threshold(table.threshold, m)}"
        f"{stored}: {table.n_interest} of {table.n_cases} ({_pct(table.base_rate)})"
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
