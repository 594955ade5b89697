"""A selection in words and tables: the statement, the rows, ``selection.json``.

Values are shown in the metric's display unit (:mod:`sim.metrics`); ``selection.json`` keeps
the stored units beside the user's ``delta`` in display units.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.decision.objective import Objective
from sim.decision.runs import Alternative
from sim.decision.select import BUDGET, TIED, Outcome, Selection, Settings

if TYPE_CHECKING:
    from sim.analysis.tables import Table

__all__ = [
    "SELECTION_FILE",
    "selection_document",
    "selection_rows",
    "selection_table",
    "statement",
    "stored_selection",
]

SELECTION_FILE = "selection.json"


def _delta_text(delta: float, objective: Objective) -> str:
    unit = objective.difference.unit
    return f"{delta:g} {unit}" if unit else f"{delta:g}"


def statement(selection: Selection, objective: Objective, delta: float) -> str:
    """What was selected and what is promised (``delta`` in display units)."""
    s = selection.settings
    pcs = f"{1 - s.alpha:.0%}"
    label = objective.entry.label.lower()
    if selection.stop == BUDGET:
        left = ", ".join(selection.survivors)
        return (
            f"No selection at {pcs}: --max-replications {s.max_replications} was reached with "
            f"{len(selection.survivors)} policies left ({left}); the best mean among them is "
            f"{selection.best}'s. KN needs at most {selection.bound} replications each to "
            f"finish (--max-replications {selection.bound})."
        )
    side = "above" if objective.maximize else "below"
    promise = (
        f"If the best policy's mean {label} is at least {_delta_text(delta, objective)} {side} "
        f"every other's, this procedure selects it with probability at least {pcs} "
        "(replication values assumed normal; replications paired by common random numbers)."
    )
    if selection.stop == TIED:
        others = [n for n in selection.survivors if n != selection.best]
        return (
            f"Best: {selection.best}, tied exactly with {', '.join(others)} (equal means after "
            f"{selection.stages} replications: within any indifference zone). {promise}"
        )
    return f"Best: {selection.best}. {promise}{_close(selection, objective, delta)}"


def _close(selection: Selection, objective: Objective, delta: float) -> str:
    """The sentence naming the eliminated policies whose mean is within delta of the best's."""
    best = next(o for o in selection.outcomes if o.selected)
    near = [
        o.name
        for o in selection.outcomes
        if not o.selected and abs(o.mean - best.mean) < selection.settings.delta
    ]
    if not near:
        return ""
    return (
        f" Within {_delta_text(delta, objective)} of its mean: {', '.join(near)} (the "
        "indifference zone does not tell these apart)."
    )


def _fate(o: Any, stop: str) -> str:
    if o.selected:
        return "selected" if stop != BUDGET else "best mean, not separated"
    if o.eliminated_at is None:
        return "left, not separated" if stop == BUDGET else "tied"
    return f"eliminated at n = {o.eliminated_at} by {o.eliminated_by}"


def selection_rows(selection: Selection, objective: Objective) -> tuple[list[str], list[list[str]]]:
    """Header and rows: the selected first, then the others by how long they lasted."""
    sign = 1.0 if objective.maximize else -1.0
    order = sorted(
        selection.outcomes,
        key=lambda o: (not o.selected, o.eliminated_at is not None, -o.n, -sign * o.mean),
    )
    header = ["policy", "n", objective.entry.heading, "outcome"]
    rows = [
        [o.name, str(o.n), objective.entry.fmt(o.mean), _fate(o, selection.stop)] for o in order
    ]
    return header, rows


def selection_table(selection: Selection, objective: Objective) -> Table:
    """The report's table of a selection (a :class:`sim.analysis.tables.Table`)."""
    from sim.analysis.tables import table

    header, rows = selection_rows(selection, objective)
    return table(header, rows, (1, 2))


def stored_selection(folder: str | Path) -> tuple[str, Table] | None:
    """The statement and table of the ``selection.json`` in ``folder`` (None if there is
    none or it cannot be read): what a report shows of a selection."""
    from sim.experiment.atomic import read_json

    try:
        doc = read_json(Path(folder) / SELECTION_FILE)
        objective = Objective(str(doc["metric"]), bool(doc["maximize"]))
        names = {f.name for f in fields(Outcome)}
        outcomes = tuple(Outcome(**{k: a[k] for k in names}) for a in doc["alternatives"])
        settings = Settings(**doc["settings"])
        selection = Selection(
            str(doc["best"]),
            str(doc["stop"]),
            int(doc["stages"]),
            float(doc["eta"]),
            float(doc["h2"]),
            int(doc["bound"]),
            settings,
            outcomes,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(doc["statement"]), selection_table(selection, objective)


def selection_document(
    selection: Selection,
    objective: Objective,
    delta: float,
    alternatives: Sequence[Alternative],
    where: Path,
) -> dict[str, Any]:
    """The content of ``selection.json`` (written in folder ``where``): the settings, the
    outcome of every alternative (its folder relative to ``where``, the replications used and
    added) and the statement."""
    doc = selection.to_json()
    folders = {a.name: a for a in alternatives}
    for entry in doc["alternatives"]:
        alt = folders[entry["name"]]
        entry |= {
            "folder": os.path.relpath(alt.folder.resolve(), where.resolve()),
            "replications_in_folder": len(alt.replications),
            "replications_added": alt.added,
        }
    return {
        "metric": objective.name,
        "maximize": objective.maximize,
        "delta": delta,
        "delta_unit": objective.difference.unit,
        "alpha": selection.settings.alpha,
        **doc,
        "statement": statement(selection, objective, delta),
    }
