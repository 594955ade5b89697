"""The metric registry is the one source of names, units and labels."""

from __future__ import annotations

from pathlib import Path

import sim
from sim.analysis._common import metric_label, metric_unit
from sim.metrics import METRIC_KEYS, REGISTRY, markdown, metric

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def test_the_model_computes_exactly_the_registered_metrics(venezuela):
    rep = sim.simulate(venezuela.model_copy(update={"horizon_days": 10.0}), seed=1)
    assert tuple(rep.metrics) == METRIC_KEYS == sim.METRIC_KEYS


def test_every_registered_metric_has_a_label_and_a_definition():
    for m in REGISTRY.values():
        assert m.label and m.definition and m.scale > 0, m


def test_consumers_read_the_registry():
    assert metric_unit("seized_bbl") == (1e6, "million bbl")
    assert metric_unit("baseline_exported_bpd") == (1e3, "thousand bpd")
    assert metric_unit("export_decline") == (0.01, "%")
    assert metric_label("diff_seizures") == "Seizures, difference (tankers)"
    assert metric("days_to_storage_full_share").unit == "%"
    assert metric("no_such_metric").heading == "no such metric"


def test_the_metrics_page_is_generated_from_the_registry():
    assert DOC.read_text(encoding="utf-8") == markdown(), "regenerate docs/metrics.md"
