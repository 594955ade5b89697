"""Issue 13's defects 1, 2, 3 (CLI half), 5, 6 and 8: each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.analysis.assumptions import AssumptionRow, assumption_rows

SCENARIO = "venezuela_dec2025"


def _rows(overrides: list[str], manifest: dict | None = None) -> dict[str, AssumptionRow]:
    cfg = sim.load_config(SCENARIO, overrides).to_dict()
    return {r.key: r for r in assumption_rows(cfg, manifest)[0]}


# --------------------------------------------------------------------------- defect 1


def test_a_value_set_over_an_empty_mapping_is_shown_with_no_borrowed_basis() -> None:
    """The file's ``breakout: {}`` (no coordinated breakout) must not stand for a run that set
    ``behaviour.breakout.group=4``: the row shows 4, says it was an override, and does not
    give the file's reason as this value's basis."""
    recorded = {"policy": None, "overrides": ["behaviour.breakout.group=4"]}
    for manifest in (recorded, None):  # recorded by the CLI, or not (a run from Python)
        row = _rows(["behaviour.breakout.group=4"], manifest)["behaviour.breakout"]
        assert row.overridden and row.kind == "override", row
        assert "group: 4" in row.value and row.file_value == "{}"
        assert "no coordinated breakout" not in row.note
        text = row.explanation()
        assert text.startswith("set by an override in this run"), text
        assert "scenario file: {} (no coordinated breakout" in text


def test_a_policy_file_value_is_shown_with_the_policy_files_basis() -> None:
    """``policy=enter_after_14d`` sets enter_waters_after_days, which the scenario file says is
    null ("US forces wait for vessels to leave waters"): the row shows 14 and the policy
    file's own source."""
    for manifest in ({"policy": "enter_after_14d", "overrides": []}, None):
        rows = _rows(["policy=enter_after_14d"], manifest)
        row = rows["policy.enter_waters_after_days"]
        assert (row.value, row.file_value, row.overridden) == ("14", "null", True), row
        assert row.kind == "source" and row.note.startswith("F4 (officials"), row
        assert "US forces wait" not in row.note
        assert row.explanation().startswith("set by policy/enter_after_14d.yaml: F4 (officials")
        assert "scenario file: null (F4 (US forces wait" in row.explanation()
        # the policy's other keys equal the scenario's: those rows are the file's, unchanged
        assert not rows["court.policy"].overridden and rows["court.policy"].kind == "source"


def test_an_override_on_top_of_a_policy_is_an_override() -> None:
    overrides = ["policy=enter_after_14d", "policy.enter_waters_after_days=20"]
    manifest = {"policy": "enter_after_14d", "overrides": ["policy.enter_waters_after_days=20"]}
    row = _rows(overrides, manifest)["policy.enter_waters_after_days"]
    assert (row.value, row.kind, row.note) == ("20", "override", "")


def test_an_uncertain_key_fixed_by_an_override_is_not_shown_as_drawn() -> None:
    rows = _rows(["court.delay_days.median=3"])
    row = rows["uncertain.court.delay_days.median"]
    assert row.overridden and row.value == "not drawn in this run", row
    assert rows["court.delay_days"].overridden and "median: 3" in rows["court.delay_days"].value


def test_the_default_run_has_no_overridden_row() -> None:
    rows = _rows([])
    assert rows and not any(r.overridden for r in rows.values())
    assert all(r.kind in ("source", "assumption") for r in rows.values())
