"""Selecting the best of k alternatives with a guarantee: Kim & Nelson's procedure KN.

KN (Kim, S.-H. and Nelson, B. L. 2001, "A fully sequential procedure for indifference-zone
selection in simulation", ACM TOMACS 11(3): 251-273) takes ``n0`` replications of every
alternative, estimates the variance of every pairwise *difference* (so common random numbers
narrow the comparison), then adds one replication at a time to the alternatives still in
contention and eliminates alternative ``i`` at stage ``r`` as soon as its mean falls below
another's by more than ``W_il(r) = max(0, δ/(2r) (h² S²_il / δ² − r))``, with
``h² = 2η(n0 − 1)`` and ``η = ((2α/(k − 1))^(−2/(n0 − 1)) − 1) / 2``. It stops when one is
left. If the observations of each replication are jointly normal (any variances, any
correlation between alternatives) and the best mean is at least ``δ`` better than every other,
the one left is the best with probability at least ``1 − α``.

:func:`select_best` runs the procedure over a :class:`Source` of observations: it screens
after every replication (fully sequential) on what the source already holds and asks the
source for more, ``batch`` at a time and only for the alternatives still in contention, when
it runs out. Asking in batches costs replications an alternative eliminated within the batch
did not need; it never changes which replications are screened, so the guarantee stands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from sim.config import ConfigError

__all__ = [
    "KN_REFERENCE",
    "Outcome",
    "Selection",
    "SelectionError",
    "Settings",
    "Source",
    "kn_constants",
    "select_best",
]

KN_REFERENCE = (
    "Kim & Nelson (2001), A fully sequential procedure for indifference-zone selection in "
    "simulation, ACM TOMACS 11(3)"
)
#: Why the procedure stopped.
ONE_LEFT = "one_left"  # every other alternative was eliminated: the guarantee holds
TIED = "tied"  # past every pair's last stage the survivors have exactly equal means
BUDGET = "max_replications"  # stopped at the budget with several left: no guarantee


class SelectionError(ConfigError):
    """A selection that cannot run (settings, alternatives, values); the message says why."""


class Source(Protocol):
    """Where the observations come from: replication ``j`` of alternative ``i`` is one value,
    and replication ``j`` of every alternative shares its random numbers (CRN)."""

    @property
    def names(self) -> Sequence[str]:
        """The alternatives' names, in order."""
        ...

    def available(self, i: int) -> int:
        """How many replications (0, 1, ... without a gap) alternative ``i`` holds."""
        ...

    def values(self, i: int, n: int) -> np.ndarray:
        """The values of replications 0..n-1 of alternative ``i`` (``n <= available(i)``)."""
        ...

    def extend(self, alternatives: Sequence[int], n: int) -> None:
        """Make each of ``alternatives`` hold at least ``n`` replications."""
        ...


@dataclass(frozen=True)
class Settings:
    """The procedure's parameters; ``delta`` in the metric's own (stored) units."""

    delta: float
    alpha: float = 0.05
    n0: int = 10
    max_replications: int = 1000
    batch: int = 10
    maximize: bool = True

    def check(self, k: int) -> None:
        """Raise :class:`SelectionError` naming the first setting out of range."""
        if not (math.isfinite(self.delta) and self.delta > 0):
            raise SelectionError(f"--delta: must be a positive number (got {self.delta})")
        if not 0 < self.alpha < 0.5:
            raise SelectionError(f"--alpha: must be between 0 and 0.5 (got {self.alpha})")
        if self.n0 < 2:
            raise SelectionError(f"--n0: must be at least 2 (got {self.n0})")
        if self.max_replications < self.n0:
            raise SelectionError(
                f"--max-replications: must be at least --n0 ({self.n0}); got "
                f"{self.max_replications}"
            )
        if self.batch < 1:
            raise SelectionError(f"--batch: must be at least 1 (got {self.batch})")
        if k < 2:
            raise SelectionError(f"select: needs at least two alternatives (got {k})")


@dataclass(frozen=True)
class Outcome:
    """One alternative: the replications the procedure used, their mean, its fate."""

    name: str
    n: int  # replications used: its stage of elimination, or the last stage
    mean: float  # mean of those replications, stored units
    selected: bool
    eliminated_at: int | None = None  # the stage (replications each) it was eliminated at
    eliminated_by: str | None = None  # the alternative whose mean was too far above


@dataclass(frozen=True)
class Selection:
    """What :func:`select_best` found; ``guaranteed`` says whether the promise holds."""

    best: str
    stop: str
    stages: int  # replications per surviving alternative at the end
    eta: float
    h2: float
    bound: int  # replications per alternative after which KN must have stopped
    settings: Settings
    outcomes: tuple[Outcome, ...] = field(default_factory=tuple)

    @property
    def guaranteed(self) -> bool:
        """Whether the 1 − alpha probability of correct selection applies."""
        return self.stop in (ONE_LEFT, TIED)

    @property
    def survivors(self) -> list[str]:
        """The alternatives never eliminated (one unless the budget stopped it)."""
        return [o.name for o in self.outcomes if o.eliminated_at is None]

    def to_json(self) -> dict[str, Any]:
        """A plain document of the selection (stored units)."""
        return {
            "method": "KN",
            "reference": KN_REFERENCE,
            "best": self.best,
            "guaranteed": self.guaranteed,
            "probability_correct_selection": 1 - self.settings.alpha,
            "stop": self.stop,
            "stages": self.stages,
            "eta": self.eta,
            "h2": self.h2,
            "bound": self.bound,
            "settings": asdict(self.settings),
            "alternatives": [asdict(o) for o in self.outcomes],
        }


def kn_constants(k: int, alpha: float, n0: int) -> tuple[float, float]:
    """KN's ``η`` and ``h² = 2η(n0 − 1)`` for ``k`` alternatives."""
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    return eta, 2 * eta * (n0 - 1)


def _checked(source: Source, i: int, n: int) -> np.ndarray:
    """The first ``n`` values of alternative ``i``; a NaN or infinity is refused by name."""
    values = np.asarray(source.values(i, n), dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise SelectionError(
            f"{source.names[i]}: replication {int(bad[0])} has no finite value "
            f"({values[bad[0]]}); selection needs a value in every replication"
        )
    return values


def _ensure(source: Source, alternatives: Sequence[int], n: int) -> None:
    short = [i for i in alternatives if source.available(i) < n]
    if short:
        source.extend(short, n)
    for i in short:
        if source.available(i) < n:
            raise SelectionError(
                f"{source.names[i]}: holds {source.available(i)} replications after being "
                f"asked for {n}"
            )


@dataclass
class _State:
    """The procedure's state: the sign-adjusted data held, who is left, who went when."""

    data: dict[int, np.ndarray]
    alive: list[int]
    r: int
    eliminated: dict[int, tuple[int, int]] = field(default_factory=dict)  # i -> (stage, by)


def _screen(state: _State, s2: np.ndarray, h2: float, delta: float) -> None:
    """KN's screening at stage ``r``: drop each ``i`` whose mean is below another's minus
    ``W_il(r)`` (all compared against the set before this stage's eliminations)."""
    r, alive = state.r, state.alive
    means = np.array([state.data[i][:r].mean() for i in alive])
    var = s2[np.ix_(alive, alive)]
    w = np.maximum(0.0, delta / (2 * r) * (h2 * var / delta**2 - r))
    gap = means[None, :] - w - means[:, None]  # gap[a, b] > 0: b eliminates a
    np.fill_diagonal(gap, -np.inf)
    keep = []
    for a, i in enumerate(alive):
        b = int(np.argmax(gap[a]))
        if gap[a, b] > 0:
            state.eliminated[i] = (r, alive[b])
        else:
            keep.append(i)
    state.alive = keep


def _bound(limit: np.ndarray, alive: Sequence[int]) -> int:
    """The stage after which no pair of ``alive`` has a positive ``W`` (KN has stopped)."""
    return int(limit[np.ix_(alive, alive)].max())


def _grow(source: Source, state: _State, s: Settings, limit: np.ndarray) -> None:
    """Make stage ``r + 1`` available to every alternative left (a batch at a time)."""
    need = state.r + 1
    if any(len(state.data[i]) < need for i in state.alive):
        want = min(
            s.max_replications, max(need, min(state.r + s.batch, _bound(limit, state.alive)))
        )
        held = [i for i in state.alive if source.available(i) < want]
        _ensure(source, held, want)
        sign = 1.0 if s.maximize else -1.0
        for i in state.alive:
            n = min(source.available(i), s.max_replications)
            state.data[i] = sign * _checked(source, i, n)
    state.r = need


def _run(source: Source, s: Settings, s2: np.ndarray, h2: float, state: _State) -> str:
    """Screen and grow until one is left, the survivors tie, or the budget is spent."""
    limit = np.floor(h2 * s2 / s.delta**2).astype(np.int64) + 1
    while True:
        _screen(state, s2, h2, s.delta)
        if len(state.alive) == 1:
            return ONE_LEFT
        if state.r >= _bound(limit, state.alive):
            return TIED  # every W is 0 and no one was eliminated: equal means
        if state.r >= s.max_replications:
            return BUDGET
        _grow(source, state, s, limit)


def select_best(source: Source, settings: Settings) -> Selection:
    """Run KN on ``source`` (see the module docstring); ``settings.delta`` in stored units.

    Replications the source already holds are screened first, one stage at a time, exactly as
    if they had just been run; the source is asked for more only for the alternatives still in
    contention. Stops with one left (``stop == "one_left"``), or at ``max_replications`` with
    several left (then ``guaranteed`` is False and ``best`` is the largest mean among them).
    """
    names = list(source.names)
    k, s = len(names), settings
    s.check(k)
    _ensure(source, range(k), s.n0)
    sign = 1.0 if s.maximize else -1.0
    start = {
        i: sign * _checked(source, i, min(source.available(i), s.max_replications))
        for i in range(k)
    }
    first = np.vstack([start[i][: s.n0] for i in range(k)])
    s2 = np.var(first[:, None, :] - first[None, :, :], axis=2, ddof=1)
    eta, h2 = kn_constants(k, s.alpha, s.n0)
    state = _State(data=start, alive=list(range(k)), r=s.n0)
    stop = _run(source, s, s2, h2, state)
    limit = np.floor(h2 * s2 / s.delta**2).astype(np.int64) + 1
    return _selection(names, state, stop, eta, h2, int(limit.max()), s)


def _selection(
    names: list[str], state: _State, stop: str, eta: float, h2: float, bound: int, s: Settings
) -> Selection:
    """The :class:`Selection` of a finished run of the procedure."""
    sign = 1.0 if s.maximize else -1.0
    alive_means = {i: state.data[i][: state.r].mean() for i in state.alive}
    best = max(state.alive, key=lambda i: (alive_means[i], -i))
    outcomes = []
    for i, name in enumerate(names):
        stage, by = state.eliminated.get(i, (state.r, None))
        outcomes.append(
            Outcome(
                name=name,
                n=stage,
                mean=float(sign * state.data[i][:stage].mean()),
                selected=i == best,
                eliminated_at=stage if by is not None else None,
                eliminated_by=names[by] if by is not None else None,
            )
        )
    return Selection(
        best=names[best],
        stop=stop,
        stages=state.r,
        eta=eta,
        h2=h2,
        bound=bound,
        settings=s,
        outcomes=tuple(outcomes),
    )
