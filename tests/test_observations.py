"""Observations files for calibration: the shipped file, the model's figures, one-line errors."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.calibration import (
    Observation,
    Observations,
    ObservationsError,
    load_observations,
    parse_observations,
)
from sim.config import scenarios_dir
from sim.sources import cited_ids, parse_sources

REPO = Path(__file__).resolve().parent.parent
SHIPPED = scenarios_dir() / "observations" / "venezuela_dec2025.yaml"


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", [])


@pytest.fixture(scope="module")
def rep(cfg: sim.Config) -> sim.Replication:
    return sim.simulate(cfg, seed=cfg.experiment.seed, replication=0, record_events=False)


def entry(**changes: Any) -> dict[str, Any]:
    """A valid series entry, with ``changes`` (a value of None removes the key)."""
    base: dict[str, Any] = {
        "id": "X1",
        "what": "loadings, days 0-21",
        "series": "loaded_bbl",
        "window": [0, 22],
        "statistic": "rate",
        "value": 351000,
        "uncertainty": 60000,
        "source": "O1 (docs/sources.md)",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def doc(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"name": "test", "observations": list(entries or [entry()])}


def one_line_error(data: Any, cfg: sim.Config) -> str:
    with pytest.raises(ValueError) as info:
        parse_observations(data, cfg)
    assert isinstance(info.value, ObservationsError)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------- the shipped file


def test_the_shipped_file_loads_against_the_scenario(cfg):
    obs = load_observations(SHIPPED, cfg)
    assert obs.name == "december_2025"
    assert obs.ids == ("O1", "O2", "O3-O4")
    assert obs.values == pytest.approx([351_000, 5_500_000, 395_000])
    assert (obs.uncertainties > 0).all()
    assert all(o.note for o in obs.items)
    assert {o.window for o in obs.items} == {(0, 22)}


def test_the_shipped_file_cites_rows_of_sources_md(cfg):
    facts = parse_sources(REPO / "docs" / "sources.md")
    for o in load_observations(SHIPPED, cfg).items:
        ids = cited_ids(o.source)
        assert ids and set(ids) <= set(facts), o.source
        assert set(cited_ids(o.note or "")) <= set(facts), o.note


def test_the_shipped_values_follow_the_pre_blockade_correction(cfg):
    obs = {o.id: o for o in load_observations(SHIPPED, cfg).items}

    def blockade_rate(december: float, november: float) -> float:
        return (31 * december - 9 * november) / 22

    assert obs["O1"].value == pytest.approx(blockade_rate(423e3, 600e3), rel=0.01)
    o3, o4 = blockade_rate(498e3, 921e3), blockade_rate(600e3, 930e3)
    exports = obs["O3-O4"]
    assert exports.value == pytest.approx((o3 + o4) / 2, rel=0.01)
    assert abs(o3 - exports.value) < exports.uncertainty > abs(o4 - exports.value)
    floating = obs["O2"]  # 236k bpd x 22 days and x 31 days both within about 1.2 sd
    for bbl in (236e3 * 22, 236e3 * 31):
        assert abs(bbl - floating.value) < 1.25 * floating.uncertainty


# --------------------------------------------------------------------------- the model's figures


def test_of_equals_a_hand_computation_from_the_timeseries(cfg, rep):
    obs = load_observations(SHIPPED, cfg)
    ts = rep.timeseries
    days = ts[(ts["day"] >= 0) & (ts["day"] < 22)]
    expected = [
        days["loaded_bbl"].sum() / 22,
        ts.loc[ts["day"] == 21, "floating_new_bbl"].item(),
        days["exported_bbl"].sum() / 22,
    ]
    assert obs.of(rep) == pytest.approx(expected)
    assert [o.of(rep) for o in obs.items] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("series", "statistic", "window"),
    [
        ("exported_bbl", "total", (3, 10)),
        ("storage_bbl", "mean", (5, 30)),
        ("seizures_cum", "last", (0, 90)),
        ("stranded_bbl", "last", (40, 41)),
    ],
)
def test_each_statistic_of_a_series(cfg, rep, series, statistic, window):
    o = parse_observations(
        doc(entry(series=series, statistic=statistic, window=list(window))), cfg
    ).items[0]
    ts = rep.timeseries
    values = ts.loc[(ts["day"] >= window[0]) & (ts["day"] < window[1]), series]
    expected = {"total": values.sum(), "mean": values.mean(), "last": values.iloc[-1]}
    assert o.of(rep) == pytest.approx(expected[statistic])


def test_a_metric_observation_reads_the_replication_metric(cfg, rep):
    data = doc(entry(series=None, window=None, metric="stranded_day21_bbl", statistic="value"))
    o = parse_observations(data, cfg).items[0]
    assert o.of(rep) == rep.metrics["stranded_day21_bbl"]


def test_a_window_past_the_replication_is_refused(cfg):
    short = sim.load_config("venezuela_dec2025", ["horizon_days=10"])
    o = parse_observations(doc(), cfg).items[0]
    with pytest.raises(ValueError, match="X1: window"):
        o.of(sim.simulate(short, seed=1, record_events=False))


def test_scaled_distance_weighs_each_observation_by_its_uncertainty(cfg):
    obs = load_observations(SHIPPED, cfg)
    model = obs.values + np.array([1.0, -2.0, 0.0]) * obs.uncertainties
    assert obs.scaled_distance(model) == pytest.approx(math.sqrt(5))
    assert obs.scaled_distance(obs.values) == 0.0
    assert obs.scaled_distance(np.array([np.nan, 0.0, 0.0])) == math.inf
    with pytest.raises(ValueError, match="expected 3 figures"):
        obs.scaled_distance(np.zeros(2))


def test_to_dict_parses_back_to_the_same_observations(cfg):
    obs = load_observations(SHIPPED, cfg)
    assert parse_observations(obs.to_dict(), cfg) == obs
    metric = parse_observations(
        doc(entry(series=None, window=None, metric="seizures", statistic="value")), cfg
    )
    assert parse_observations(metric.to_dict(), cfg) == metric
    assert isinstance(metric, Observations)
    assert isinstance(metric.items[0], Observation)


# --------------------------------------------------------------------------- errors


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "unknown series": (
        entry(series="loadded_bbl"),
        "observations.0.series: 'loadded_bbl' is not a series; allowed: exported_bbl,",
    ),
    "unknown metric": (
        entry(series=None, window=None, metric="seizurez", statistic="value"),
        "observations.0.metric: 'seizurez' is not a metric of a replication; allowed: ",
    ),
    "window past horizon": (
        entry(window=[0, 120]),
        "observations.0.window: ends at day 120, past the scenario's horizon (90 days)",
    ),
    "window reversed": (entry(window=[22, 0]), "observations.0.window: [22, 0] is empty"),
    "window empty": (entry(window=[5, 5]), "observations.0.window: [5, 5] is empty"),
    "window negative": (entry(window=[-1, 5]), "observations.0.window.0: "),
    "window missing": (entry(window=None), "observations.0.window: required for a series"),
    "zero uncertainty": (entry(uncertainty=0), "observations.0.uncertainty: "),
    "negative uncertainty": (entry(uncertainty=-5.0), "observations.0.uncertainty: "),
    "value not finite": (entry(value=float("nan")), "observations.0.value: "),
    "value not a number": (entry(value="351k"), "observations.0.value: "),
    "missing source": (entry(source=None), "observations.0.source: required key is missing"),
    "empty source": (entry(source="  "), "observations.0.source: must not be empty"),
    "unknown key": (
        entry(uncertainity=5),
        "observations.0.uncertainity: unknown key; allowed: id, what, series, metric, window,",
    ),
    "both series and metric": (
        entry(metric="seizures"),
        "observations.0.series: give exactly one of series",
    ),
    "neither series nor metric": (
        entry(series=None),
        "observations.0.series: give exactly one of series",
    ),
    "statistic unknown": (
        entry(statistic="median"),
        "observations.0.statistic: 'median' is not a statistic of a series; allowed: rate,",
    ),
    "statistic of a metric on a series": (
        entry(statistic="value"),
        "observations.0.statistic: 'value' is not a statistic of a series",
    ),
    "statistic of a series on a metric": (
        entry(series=None, window=None, metric="seizures", statistic="rate"),
        "observations.0.statistic: 'rate' is not a statistic of a metric; allowed: value",
    ),
    "sum of a level": (
        entry(series="storage_bbl", statistic="total"),
        "observations.0.statistic: 'total' sums daily flows, and storage_bbl is a level",
    ),
    "window on a metric": (
        entry(series=None, metric="seizures", statistic="value"),
        "observations.0.window: a metric is of the whole run",
    ),
    "time to event metric": (
        entry(series=None, window=None, metric="days_to_first_seizure", statistic="value"),
        "observations.0.metric: days_to_first_seizure is a time to event",
    ),
    "missing id": (entry(id=None), "observations.0.id: required key is missing"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_entry_is_one_line_naming_its_path(cfg, case):
    bad, expected = BAD[case]
    message = one_line_error(doc(bad), cfg)
    assert message.startswith(expected), message


def test_the_path_names_the_entry_by_its_index(cfg):
    data = doc(entry(), entry(id="X2", window=[0, 120]))
    assert one_line_error(data, cfg) == (
        "observations.1.window: ends at day 120, past the scenario's horizon (90 days)"
    )


def test_a_duplicate_id_names_both_entries(cfg):
    message = one_line_error(doc(entry(), entry(window=[0, 10])), cfg)
    assert message == "observations.1.id: 'X1' repeats observations.0.id; ids must be unique"


def test_the_document_itself(cfg):
    assert one_line_error({"name": "x", "observations": []}, cfg).startswith(
        "observations: needs at least one observation"
    )
    assert one_line_error({"observations": [entry()]}, cfg) == "name: required key is missing"
    assert one_line_error({**doc(), "descripton": "x"}, cfg).startswith(
        "descripton: unknown key; allowed: name, observations"
    )
    assert one_line_error([entry()], cfg).startswith("observations: must be a mapping")
    assert one_line_error(doc("O1"), cfg).startswith("observations.0: ")


def test_a_metric_past_the_horizon_is_refused():
    short = sim.load_config("venezuela_dec2025", ["horizon_days=30"])
    data = doc(entry(series=None, window=None, metric="stranded_day52_bbl", statistic="value"))
    assert one_line_error(data, short).startswith(
        "observations.0.metric: stranded_day52_bbl needs a horizon of at least 53 days"
    )


def test_bad_yaml_syntax_names_the_file_and_line(tmp_path, cfg):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nobservations:\n  - id: O1\n    window: [0, 22\n", encoding="utf-8")
    with pytest.raises(ObservationsError) as info:
        load_observations(path, cfg)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    assert ": invalid YAML (" in message
    line = int(message.removeprefix(f"{path}:").split(":")[0])
    assert 4 <= line <= 5


def test_file_errors_name_the_file(tmp_path, cfg):
    missing = tmp_path / "none.yaml"
    with pytest.raises(ObservationsError, match=r"none\.yaml: cannot read"):
        load_observations(missing, cfg)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(ObservationsError, match=r"scalar\.yaml: must be a mapping"):
        load_observations(scalar, cfg)


def test_a_file_loads_like_its_mapping(tmp_path, cfg):
    import yaml

    path = tmp_path / "obs.yaml"
    path.write_text(yaml.safe_dump(doc(entry(), entry(id="X2", window=[1, 5]))), "utf-8")
    assert load_observations(str(path), cfg) == parse_observations(
        doc(entry(), entry(id="X2", window=[1, 5])), cfg
    )


def test_parse_needs_a_config():
    with pytest.raises(TypeError, match=r"sim\.Config"):
        parse_observations(doc(), {"horizon_days": 90})  # type: ignore[arg-type]


def test_an_entry_dict_is_not_modified(cfg):
    data = doc(entry())
    before = copy.deepcopy(data)
    parse_observations(data, cfg)
    assert data == before


def test_a_key_given_twice_names_the_file_and_line(tmp_path, cfg):
    path = tmp_path / "twice.yaml"
    path.write_text("name: x\nobservations:\n  - id: O1\n    id: O2\n", encoding="utf-8")
    with pytest.raises(ObservationsError) as info:
        load_observations(path, cfg)
    assert str(info.value).startswith(f"{path}:4:5: invalid YAML (key 'id' given twice")
