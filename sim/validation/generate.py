"""Compute the model's sections of the validation page: analytic cases, baseline, levers."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sim
from sim.experiment.executors import make_executor
from sim.validation import SCENARIO, Sizes
from sim.validation.analytic import Row, analytic_cases
from sim.validation.baseline import baseline_section
from sim.validation.face import face_section
from sim.validation.figures import analytic_figure, baseline_figure, face_figure
from sim.validation.levers import Lever, experiment, levers, run_levers

__all__ = ["Findings", "draw_figures", "model_sections", "surprises"]

#: Draws a figure at the path given and returns where it was written.
Draw = Callable[[Path], Path]


@dataclass
class Findings:
    """The computed sections 1-3 of the page and what they found."""

    rows: list[Row]
    facts: list[dict[str, Any]]
    base_lines: list[str]
    base_surprises: list[str]
    items: list[Lever]
    face_lines: list[str]
    face_surprises: list[str]
    notes: list[str]


def model_sections(sizes: Sizes, workers: int, say: Callable[[str], None]) -> Findings:
    """Run the analytic cases, the Venezuela reference and the face-validity levers."""
    say("analytic cases")
    with make_executor("processes" if workers > 1 else "serial", workers) as ex:
        rows = analytic_cases(ex, sizes)
    say("Venezuela reference")
    ref = experiment([], sizes.scenario, workers)
    horizon = sim.load_config(SCENARIO).horizon_days
    base_lines, facts, base_surprises = baseline_section(ref, horizon)
    items = levers(sizes.quick)
    say("face validity")
    run_levers(items, ref, sizes.face, workers)
    face_lines, found, notes = face_section(items)
    return Findings(rows, facts, base_lines, base_surprises, items, face_lines, found, notes)


def surprises(found: Findings, others: Sequence[str]) -> list[str]:
    """What the run revealed, for the limitations: notes, ``others``, misses, surprises."""
    misses = [
        f"Analytic case outside its 95% CI: {r.case} {r.quantity} (1 in 20 is expected by "
        "chance; rerun with more replications before suspecting the model)."
        for r in found.rows
        if not r.inside
    ]
    return [
        *found.notes,
        *others,
        *misses,
        *found.base_surprises,
        *(f"Face validity, {s}" for s in found.face_surprises),
    ]


def draw_figures(
    found: Findings, img_dir: Path, page_dir: Path, extra: Mapping[str, Draw]
) -> dict[str, str]:
    """Draw the figures (the model's, then ``extra``); their links relative to the page."""
    rel = os.path.relpath(img_dir, page_dir)
    draws: dict[str, Draw] = {
        "analytic": lambda p: analytic_figure(found.rows, p),
        "baseline": lambda p: baseline_figure(found.facts, p),
        "face": lambda p: face_figure(found.items, p),
        **extra,
    }
    images = {}
    for name, draw in draws.items():
        path = draw(img_dir / f"{name}.png")
        images[name] = f"{rel}/{path.name}".replace(os.sep, "/")
    return images
