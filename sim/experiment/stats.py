"""Statistics across replications: means, 95% t-intervals, quantiles, paired differences.

NaNs are dropped per metric, so ``n`` can differ between metrics. Time-to-event metrics
(:data:`TIME_TO_EVENT`) are the exception: NaN there means the event did not happen by the
horizon (a censored time), so they get no mean, quantiles over every run with NaN as +inf
and a ``<metric>_share`` row (see :func:`summarize`). ``scipy.stats`` is imported lazily
(it costs ~0.7 s), only for the kernel density of :func:`bimodality`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.metrics import SHARE_SUFFIX

__all__ = [
    "CONFIDENCE",
    "ID_COLUMNS",
    "SHARE_SUFFIX",
    "SUMMARY_COLUMNS",
    "TIME_TO_EVENT",
    "ParameterShare",
    "describe",
    "describe_time_to_event",
    "is_time_to_event",
    "paired_difference",
    "parameter_share",
    "rel_halfwidth",
    "summarize",
    "t_interval",
]

CONFIDENCE = 0.95
QUANTILES = (0.05, 0.50, 0.95)
SUMMARY_COLUMNS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "p05", "p50", "p95", "n")
DIFF_COLUMNS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "n")
ID_COLUMNS: frozenset[str] = frozenset({"replication", "seed"})
# Times to an event, NaN when it did not happen by the horizon (censored at the horizon).
TIME_TO_EVENT: tuple[str, ...] = ("days_to_storage_full", "days_to_first_seizure")


def t_interval(
    mean: float, std: float, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """The ``confidence`` Student-t interval of a mean (``scipy.stats.t.interval``).

    NaN for fewer than two values; a zero spread gives the degenerate interval (mean, mean).
    The quantiles come from ``scipy.special.stdtrit``, the very function ``t.interval``
    calls, so the numbers are the same without importing ``scipy.stats`` (~0.7 s).
    """
    if n < 2 or not math.isfinite(std):
        return math.nan, math.nan
    if std == 0.0:
        return mean, mean
    from scipy import special

    scale = std / math.sqrt(n)
    tails = np.array([(1.0 - confidence) / 2, (1.0 + confidence) / 2])
    low, high = special.stdtrit(n - 1, tails) * scale + mean
    return float(low), float(high)


def describe(values: np.ndarray | pd.Series | Sequence[float]) -> dict[str, float]:
    """mean, std, ci_low, ci_high, p05, p50, p95, n of the non-NaN ``values``."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return {**dict.fromkeys(SUMMARY_COLUMNS[:-1], math.nan), "n": 0}
    mean = float(np.mean(x))
    std = float(np.std(x, ddof=1)) if n > 1 else math.nan
    low, high = t_interval(mean, std, n)
    p05, p50, p95 = (float(q) for q in np.quantile(x, QUANTILES))
    return {
        "mean": mean,
        "std": std,
        "ci_low": low,
        "ci_high": high,
        "p05": p05,
        "p50": p50,
        "p95": p95,
        "n": n,
    }


def is_time_to_event(metric: str) -> bool:
    """Whether ``metric`` (or the metric of a ``baseline_`` column) is a time to an event."""
    return metric.removeprefix("baseline_") in TIME_TO_EVENT


def _censored_quantile(times: np.ndarray, q: float) -> float:
    """Linear-interpolation quantile of sorted ``times`` (+inf = censored); NaN if it
    falls on a censored run."""
    pos = q * (times.size - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    if not math.isfinite(times[hi]):
        return math.nan
    return float(times[lo] + (times[hi] - times[lo]) * (pos - lo))


def describe_time_to_event(values: np.ndarray | pd.Series | Sequence[float]) -> dict[str, float]:
    """:func:`describe` of a time to event where NaN means "not by the horizon".

    Quantiles are over every run with NaN as +inf (the Kaplan-Meier quantiles with the
    horizon as censoring time): the median is defined iff more than half the runs had the
    event, else NaN. A mean would need the censored times: mean, std and the interval are
    NaN. ``n`` counts every run.
    """
    x = np.asarray(values, dtype=float)
    out: dict[str, float] = {**dict.fromkeys(SUMMARY_COLUMNS[:-1], math.nan), "n": int(x.size)}
    if x.size:
        times = np.sort(np.where(np.isnan(x), np.inf, x))
        for col, q in zip(("p05", "p50", "p95"), QUANTILES, strict=True):
            out[col] = _censored_quantile(times, q)
    return out


def _summary_rows(name: str, values: np.ndarray) -> list[tuple[str, dict[str, float]]]:
    """The summary row(s) of one column: a time to event adds its ``_share`` row."""
    if not is_time_to_event(name):
        return [(name, describe(values))]
    happened = (~np.isnan(values)).astype(float)
    return [(name, describe_time_to_event(values)), (name + SHARE_SUFFIX, describe(happened))]


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """One row per numeric column of ``df`` (but ``replication``/``seed``), in column order.

    Columns: mean, std, ci_low, ci_high (95% t-interval), p05, p50, p95 and n (the count of
    non-NaN values); the index is named ``metric``. A time to event (:func:`is_time_to_event`)
    is summarized by :func:`describe_time_to_event` (no mean; censored quantiles; n = every
    run) and followed by a row ``<metric>_share``: the share of runs where the event happened
    by the horizon, with its 95% t-interval.
    """
    metrics = [
        c
        for c in df.columns
        if c not in ID_COLUMNS
        and pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c])
    ]
    pairs = [
        pair
        for c in metrics
        for pair in _summary_rows(str(c), df[c].to_numpy(dtype=float, na_value=np.nan))
    ]
    index = pd.Index([name for name, _ in pairs], name="metric")
    rows = [row for _, row in pairs]
    out = pd.DataFrame(rows, index=index, columns=list(SUMMARY_COLUMNS))
    if not rows:
        out = out.astype(float)
    return out.astype({"n": "int64"})


def paired_difference(a: pd.DataFrame, b: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per-replication differences ``a - b`` of ``metrics``, paired on ``replication``.

    Both frames must come from runs sharing the root seed (common random numbers), so that
    replication ``i`` of each saw the same random streams: with a ``seed`` column in both,
    a replication whose seeds differ raises ``ValueError``. A pair with a NaN on either side
    is dropped. Columns: mean, std, ci_low, ci_high, n (index ``metric``).
    """
    for name, frame in (("a", a), ("b", b)):
        if "replication" not in frame.columns:
            raise ValueError(f"paired_difference: frame {name} has no 'replication' column")
        missing = [m for m in metrics if m not in frame.columns]
        if missing:
            raise ValueError(f"paired_difference: frame {name} has no column(s) {missing}")
    seeded = "seed" in a.columns and "seed" in b.columns
    ids = ["replication", "seed"] if seeded else ["replication"]
    joined = a[[*ids, *metrics]].merge(
        b[[*ids, *metrics]], on="replication", suffixes=("_a", "_b"), how="inner"
    )
    if seeded:
        differ = joined["seed_a"].astype(str) != joined["seed_b"].astype(str)
        if differ.any():
            rep, seed_a, seed_b = (
                joined.loc[differ, c].iloc[0] for c in ("replication", "seed_a", "seed_b")
            )
            raise ValueError(
                f"paired_difference: replication {rep} ran with seed {seed_a} in a and "
                f"{seed_b} in b: the runs do not share their random streams, so their "
                "replications are not pairs"
            )
    rows = []
    for m in metrics:
        d = joined[f"{m}_a"].to_numpy(dtype=float) - joined[f"{m}_b"].to_numpy(dtype=float)
        s = describe(d)
        rows.append({k: s[k] for k in DIFF_COLUMNS})
    out = pd.DataFrame(
        rows, index=pd.Index(list(metrics), name="metric"), columns=list(DIFF_COLUMNS)
    )
    return out.astype({"n": "int64"})


def halfwidth(values: np.ndarray | pd.Series) -> float:
    """Half-width of the 95% t-interval of the mean (NaN with fewer than two values)."""
    s = describe(values)
    if s["n"] < 2 or math.isnan(s["ci_low"]):
        return math.nan
    return (s["ci_high"] - s["ci_low"]) / 2.0


def rel_halfwidth(values: np.ndarray | pd.Series) -> float:
    """Half-width of the 95% t-interval divided by ``|mean|`` (inf if the mean is 0).

    NaN when there are fewer than two non-NaN values.
    """
    s = describe(values)
    if s["n"] < 2 or math.isnan(s["ci_low"]):
        return math.nan
    half = (s["ci_high"] - s["ci_low"]) / 2.0
    if half == 0.0:
        return 0.0
    return math.inf if s["mean"] == 0.0 else half / abs(s["mean"])


# --------------------------------------------------------------------------- daily series


class DailyAggregate:
    """Running mean and quantiles of the daily series across replications, in bounded memory.

    Means come from exact integer running sums: each value is rounded once to a multiple of
    ``2**-16`` (an error below 2e-5 of a barrel) and summed in two 64-bit limbs, so the sum,
    and hence the mean, is the same whatever order, chunking or executor delivered the
    replications. Quantiles come from a bottom-k sample: the ``capacity`` replications with the
    smallest :func:`sim.experiment.seeds.sample_key` (a hash of root seed and replication
    index), again independent of order. Memory is O(capacity x worlds x days x columns).
    """

    SCALE_BITS = 16
    LIMB_BITS = 32
    MAX_ABS = 2.0**46  # |value| * 2**16 must fit comfortably in an int64
    CAPACITY = 2000

    def __init__(
        self,
        worlds: Sequence[str],
        days: int,
        columns: Sequence[str],
        capacity: int = CAPACITY,
    ) -> None:
        self.worlds = tuple(worlds)
        self.days = int(days)
        self.columns = tuple(columns)
        self.capacity = int(capacity)
        shape = self.shape
        self.hi = np.zeros(shape, dtype=np.int64)
        self.lo = np.zeros(shape, dtype=np.int64)
        self.count = np.zeros(shape, dtype=np.int64)
        self.n = 0  # replications folded in
        self.sample_keys = np.zeros(0, dtype=np.uint64)
        self.sample_reps = np.zeros(0, dtype=np.int64)
        self.sample = np.zeros((0, *shape), dtype=float)
        self.filled = 0

    @property
    def shape(self) -> tuple[int, int, int]:
        """(worlds, days, columns) of one replication's series."""
        return len(self.worlds), self.days, len(self.columns)

    # ------------------------------------------------------------------ folding in

    def quantize(self, series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Integer limb sums and non-NaN counts over the first axis of ``series``."""
        x = np.asarray(series, dtype=float)
        if x.shape[1:] != self.shape:
            raise ValueError(f"daily series of shape {x.shape[1:]}, expected {self.shape}")
        ok = np.isfinite(x)
        x = np.where(ok, x, 0.0)
        if x.size and np.max(np.abs(x)) >= self.MAX_ABS:
            raise ValueError(
                f"a daily series value exceeds {self.MAX_ABS:.3g}: too large to aggregate "
                "exactly (rescale the scenario's units)"
            )
        q = np.rint(np.ldexp(x, self.SCALE_BITS)).astype(np.int64)
        hi = np.right_shift(q, self.LIMB_BITS).sum(axis=0)
        lo = np.bitwise_and(q, (1 << self.LIMB_BITS) - 1).sum(axis=0)
        return hi, lo, ok.sum(axis=0, dtype=np.int64)

    def merge_sums(self, hi: np.ndarray, lo: np.ndarray, count: np.ndarray, n: int) -> None:
        """Add sums computed by :meth:`quantize` (or saved from another aggregate)."""
        self.hi += hi
        self.lo += lo
        self.count += count
        self.n += int(n)

    def offer(self, reps: np.ndarray, keys: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Offer replications to the bottom-k sample; returns the mask of those taken in."""
        reps = np.asarray(reps, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.uint64)
        taken = np.zeros(len(reps), dtype=bool)
        for j in range(len(reps)):
            if self.filled < self.capacity:
                if self.filled == len(self.sample_keys):
                    self._grow(len(reps) - j)
                slot = self.filled
                self.filled += 1
            else:
                slot = int(np.argmax(self.sample_keys))
                if keys[j] >= self.sample_keys[slot]:
                    continue
            self.sample_keys[slot] = keys[j]
            self.sample_reps[slot] = reps[j]
            self.sample[slot] = series[j]
            taken[j] = True
        return taken

    def _grow(self, wanted: int) -> None:
        size = len(self.sample_keys)
        new = min(self.capacity, max(size * 2, size + wanted, 16))
        keys = np.full(new, np.iinfo(np.uint64).max, dtype=np.uint64)
        keys[:size] = self.sample_keys
        reps = np.full(new, -1, dtype=np.int64)
        reps[:size] = self.sample_reps
        sample = np.zeros((new, *self.shape), dtype=float)
        sample[:size] = self.sample
        self.sample_keys, self.sample_reps, self.sample = keys, reps, sample

    def add(self, reps: np.ndarray, keys: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Fold in whole replications; returns the mask of those taken into the sample."""
        hi, lo, count = self.quantize(series)
        self.merge_sums(hi, lo, count, len(reps))
        return self.offer(reps, keys, series)

    # ------------------------------------------------------------------ reading out

    def means(self) -> np.ndarray:
        """The exact-sum means (correctly rounded), NaN where no value was seen."""
        out = np.full(self.shape, np.nan)
        scale = 1 << self.SCALE_BITS
        for idx in np.ndindex(*self.shape):
            c = int(self.count[idx])
            if c:
                total = (int(self.hi[idx]) << self.LIMB_BITS) + int(self.lo[idx])
                out[idx] = total / (scale * c)  # int / int is correctly rounded
        return out

    def quantiles(self, qs: Sequence[float] = QUANTILES) -> np.ndarray:
        """Quantiles over the sample: shape (len(qs), worlds, days, columns)."""
        if self.filled == 0:
            return np.full((len(qs), *self.shape), np.nan)
        sample = self.sample[: self.filled]
        if np.isnan(sample).any():
            return np.nanquantile(sample, qs, axis=0)
        return np.quantile(sample, qs, axis=0)

    def frame(self, start_date: dt.date | str) -> pd.DataFrame:
        """Wide table: world, day, date, then ``c_mean, c_p05, c_p50, c_p95`` per column."""
        means = self.means()
        qs = self.quantiles()
        days = np.arange(self.days, dtype=np.int64)
        dates = pd.Timestamp(start_date) + pd.to_timedelta(days, unit="D")
        parts = []
        for w, world in enumerate(self.worlds):
            data: dict[str, object] = {"world": [world] * self.days, "day": days, "date": dates}
            for c, col in enumerate(self.columns):
                data[f"{col}_mean"] = means[w, :, c]
                data[f"{col}_p05"] = qs[0, w, :, c]
                data[f"{col}_p50"] = qs[1, w, :, c]
                data[f"{col}_p95"] = qs[2, w, :, c]
            parts.append(pd.DataFrame(data))
        return pd.concat(parts, ignore_index=True)

    # ------------------------------------------------------------------ persistence

    def piece(
        self,
        sums: tuple[np.ndarray, np.ndarray, np.ndarray],
        n: int,
        keys: np.ndarray,
        reps: np.ndarray,
        series: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """A saveable state holding ``sums`` of ``n`` replications and sample candidates."""
        hi, lo, count = sums
        return {
            "worlds": np.array(self.worlds),
            "columns": np.array(self.columns),
            "days": np.array(self.days),
            "hi": hi,
            "lo": lo,
            "count": count,
            "n": np.array(int(n)),
            "sample_keys": np.asarray(keys, dtype=np.uint64),
            "sample_reps": np.asarray(reps, dtype=np.int64),
            "sample": np.asarray(series, dtype=float).reshape(-1, *self.shape),
        }

    def state(self) -> dict[str, np.ndarray]:
        """Arrays that :meth:`merge_state` folds back into an equal aggregate."""
        k = self.filled
        return self.piece(
            (self.hi, self.lo, self.count),
            self.n,
            self.sample_keys[:k],
            self.sample_reps[:k],
            self.sample[:k],
        )

    def merge_state(self, state: dict[str, np.ndarray]) -> None:
        """Fold in a saved :meth:`state` (disjoint replications) into this aggregate."""
        worlds = tuple(str(w) for w in state["worlds"])
        columns = tuple(str(c) for c in state["columns"])
        if worlds != self.worlds or columns != self.columns or int(state["days"]) != self.days:
            raise ValueError(
                f"saved daily aggregate has worlds {worlds}, {int(state['days'])} days and "
                f"columns {columns}; this run needs {self.worlds}, {self.days} days and "
                f"{self.columns}"
            )
        self.merge_sums(state["hi"], state["lo"], state["count"], int(state["n"]))
        self.offer(state["sample_reps"], state["sample_keys"], state["sample"])


# --------------------------------------------------------------------------- shape


def tail_share(values: np.ndarray | pd.Series | Sequence[float], below: float) -> tuple[int, int]:
    """How many of the non-NaN ``values`` are below ``below``, and of how many."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return int(np.sum(x < below)), int(x.size)


#: A second mode counts only if it holds this share of the runs and the density between the
#: two modes dips below this fraction of the smaller mode's height.
BIMODAL_MIN_SHARE = 0.10
BIMODAL_MAX_DIP = 0.6
BIMODAL_MIN_RUNS = 40
#: ... and the modes lie this share of the larger one's size apart: two cargo counts of a
#: near-fixed flow (12.2 and 13.0 million bbl) are two clusters no briefing needs flagged.
BIMODAL_MIN_GAP = 0.10


def bimodality(values: np.ndarray | pd.Series | Sequence[float]) -> tuple[float, float] | None:
    """The two modes of ``values`` if their distribution has two clear ones, else None.

    A Gaussian kernel density (scipy, Scott's bandwidth) on a grid of 512 points; its two
    highest local maxima are modes when the lower one holds at least
    :data:`BIMODAL_MIN_SHARE` of the runs on its side of the deepest point between them and
    that point's density is at most :data:`BIMODAL_MAX_DIP` of the lower mode's, and the
    modes are at least :data:`BIMODAL_MIN_GAP` of the larger one's magnitude apart. Fewer than
    :data:`BIMODAL_MIN_RUNS` runs, or a constant, are never called bimodal.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size < BIMODAL_MIN_RUNS or np.ptp(x) == 0:
        return None
    from scipy.stats import gaussian_kde  # here: a small run never imports scipy.stats

    grid = np.linspace(x.min(), x.max(), 512)
    density = gaussian_kde(x)(grid)
    peaks = [i for i in range(1, 511) if density[i - 1] < density[i] >= density[i + 1]]
    if len(peaks) < 2:
        return None
    a, b = sorted(sorted(peaks, key=lambda i: density[i])[-2:])
    low = a + int(np.argmin(density[a : b + 1]))
    split = grid[low]
    share = min(np.mean(x < split), np.mean(x >= split))
    if share < BIMODAL_MIN_SHARE or density[low] > BIMODAL_MAX_DIP * min(density[a], density[b]):
        return None
    if grid[b] - grid[a] < BIMODAL_MIN_GAP * max(abs(grid[a]), abs(grid[b])):
        return None
    return float(grid[a]), float(grid[b])


# --------------------------------------------------------------------------- variance split

#: A split of the variance needs this many replications per fitted term, and at least
#: :data:`SPLIT_MIN_RUNS` in all; with fewer the fit would explain noise.
SPLIT_RUNS_PER_TERM = 10
SPLIT_MIN_RUNS = 30


@dataclass(frozen=True)
class ParameterShare:
    """The estimated share of the run-to-run variance explained by the uncertain parameters.

    ``share`` is the adjusted R^2 of a least-squares fit of the metric on the parameters
    (``fit``: the richest of :data:`SPLIT_FITS` the replications support, 10 per term),
    ``se`` its approximate standard error, ``terms`` the fitted terms (intercept excluded),
    ``n`` the replications used; ``reason`` says why there is no estimate (then ``share``
    and ``se`` are NaN).
    """

    share: float
    se: float
    n: int
    terms: int
    reason: str = ""
    fit: str = ""


#: The fits a split tries, richest first: (name, squares, pairwise products).
SPLIT_FITS: tuple[tuple[str, bool, bool], ...] = (
    ("quadratic with pairwise terms", True, True),
    ("quadratic without pairwise terms", True, False),
    ("linear", False, False),
)


def split_terms(k: int, squares: bool = True, pairs: bool = True) -> int:
    """Terms of a fit on ``k`` parameters: k linear, k squares, k(k-1)/2 pairs."""
    return k + (k if squares else 0) + (k * (k - 1) // 2 if pairs else 0)


def split_runs_needed(k: int, squares: bool = True, pairs: bool = True) -> int:
    """Replications a split on ``k`` parameters needs with that fit."""
    return max(SPLIT_MIN_RUNS, SPLIT_RUNS_PER_TERM * split_terms(k, squares, pairs))


def _fit_for(k: int, n: int) -> tuple[str, bool, bool] | None:
    """The richest fit that ``n`` replications support on ``k`` parameters, if any."""
    for fit in SPLIT_FITS:
        if n >= split_runs_needed(k, fit[1], fit[2]):
            return fit
    return None


def _design(theta: np.ndarray, squares: bool = True, pairs: bool = True) -> np.ndarray:
    """Intercept, standardized columns, their squares and pairwise products (if asked)."""
    z = (theta - theta.mean(axis=0)) / theta.std(axis=0)
    k = z.shape[1]
    products = [z[:, i] * z[:, j] for i in range(k) for j in range(i + 1, k)] if pairs else []
    return np.column_stack([np.ones(len(z)), z, *([z**2] if squares else []), *products])


def parameter_share(
    values: np.ndarray | pd.Series | Sequence[float], theta: np.ndarray | pd.DataFrame
) -> ParameterShare:
    """How much of the spread of ``values`` between runs the parameters ``theta`` explain.

    ``theta`` holds one column per uncertain parameter, one row per replication. The
    estimate is the adjusted R^2 of a quadratic least-squares fit: the between-runs
    variance is Var(E[Y | theta]) + E[Var(Y | theta)], and the fit estimates the first part
    (what it misses of a non-quadratic E[Y | theta] counts as chance). Its standard error is
    the large-sample sqrt(4 R^2 (1 - R^2)^2 / n). Rows with a NaN and constant parameters are
    dropped; fewer than :func:`split_runs_needed` rows give no estimate, with a reason.
    """
    y = np.asarray(values, dtype=float)
    t = np.asarray(theta, dtype=float).reshape(len(y), -1)
    ok = ~np.isnan(y) & ~np.isnan(t).any(axis=1)
    y, t = y[ok], t[ok]
    t = t[:, np.ptp(t, axis=0) > 0] if len(t) else t
    k, n = t.shape[1], len(y)
    if k == 0:
        return ParameterShare(math.nan, math.nan, n, 0, "no uncertain parameter varied")
    fit = _fit_for(k, n)
    if fit is None:
        terms, need = split_terms(k, False, False), split_runs_needed(k, False, False)
        why = f"too few replications to split ({n}; even a linear fit needs {need})"
        return ParameterShare(math.nan, math.nan, n, terms, why)
    name, squares, pairs = fit
    terms = split_terms(k, squares, pairs)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0.0:
        return ParameterShare(math.nan, math.nan, n, terms, "no spread between runs", name)
    X = _design(t, squares, pairs)
    coef, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    resid = float(np.sum((y - X @ coef) ** 2))
    share = float(1.0 - (resid / (n - rank)) / (total / (n - 1)))
    return ParameterShare(share, _share_se(share, n, rank - 1), n, terms, "", name)


def _share_se(share: float, n: int, q: int) -> float:
    """Approximate standard error of an R^2 from ``n`` runs and ``q`` regressors.

    The large-sample 4 R^2 (1 - R^2)^2 / n plus the variance R^2 has when nothing is
    explained (its Beta(q/2, (n - q - 1)/2) law), which dominates near 0.
    """
    r2 = min(max(share, 0.0), 1.0)
    a, b = q / 2.0, (n - q - 1) / 2.0
    null = a * b / ((a + b) ** 2 * (a + b + 1.0)) if a > 0 and b > 0 else 0.0
    return math.sqrt(4.0 * r2 * (1.0 - r2) ** 2 / n + null)
