"""Config validation: every user mistake is a one-line ConfigError naming the key."""

from __future__ import annotations

import textwrap

import pytest

import sim
from sim.config import Exponential, Fixed, as_dist, validate

BASE = sim.load_config("venezuela_dec2025").to_dict()


def error_of(*overrides: str, scenario: str = "venezuela_dec2025") -> str:
    with pytest.raises(sim.ConfigError) as info:
        sim.load_config(scenario, overrides=list(overrides))
    message = str(info.value)
    assert "\n" not in message, "the message must be one line"
    assert isinstance(info.value, ValueError)
    return message


def test_config_error_is_a_value_error():
    assert issubclass(sim.ConfigError, ValueError)


@pytest.mark.parametrize(
    ("override", "key", "detail"),
    [
        # unknown keys, top level and nested
        ("bogus=1", "bogus", "unknown key"),
        ("navy.bogus=1", "navy.bogus", "unknown key"),
        ("production.cut.bogus=1", "production.cut.bogus", "unknown key"),
        ("court.delay_days.bogus=1", "court.delay_days.bogus", "unknown key"),
        # wrong types
        ("navy.boarding_teams=abc", "navy.boarding_teams", "integer"),
        ("navy.boarding_teams=1.5", "navy.boarding_teams", "integer"),
        ("horizon_days=abc", "horizon_days", "number"),
        ("navy.enabled=maybe", "navy.enabled", "boolean"),
        ("navy.boarding_days=true", "navy.boarding_days", "number"),
        # probabilities outside [0, 1]
        ("navy.detection_prob=1.5", "navy.detection_prob", "1.5"),
        ("navy.detection_prob=-0.1", "navy.detection_prob", "-0.1"),
        ("court.approval_prob=2", "court.approval_prob", "2"),
        ("behaviour.groups.shadow.prior_a=-1", "behaviour.groups.shadow.prior_a", "-1"),
        ("policy.in_waters_success_prob=1.01", "policy.in_waters_success_prob", "1.01"),
        ("navy.board_success_prob=7", "navy.board_success_prob", "7"),
        ("production.cut.start_fill=1.2", "production.cut.start_fill", "1.2"),
        # negative (or zero) durations, capacities and counts
        ("horizon_days=-5", "horizon_days", "-5"),
        ("horizon_days=0", "horizon_days", "greater than 0"),
        ("court.validity_days=-1", "court.validity_days", "-1"),
        ("navy.boarding_days=-1", "navy.boarding_days.value", "-1"),
        ("navy.exposure_days={dist: exponential, mean: -2}", "navy.exposure_days.mean", "-2"),
        ("policy.enter_waters_after_days=-3", "policy.enter_waters_after_days", "-3"),
        ("behaviour.news_lag_days=-1", "behaviour.news_lag_days", "-1"),
        ("terminal.storage_capacity_bbl=-1", "terminal.storage_capacity_bbl", "-1"),
        ("terminal.storage_init_bbl=-1", "terminal.storage_init_bbl", "-1"),
        ("terminal.loading_rate_bpd=0", "terminal.loading_rate_bpd", "0"),
        ("production.export_bpd=-100", "production.export_bpd", "-100"),
        ("terminal.berths=0", "terminal.berths", "0"),
        ("navy.boarding_teams=-1", "navy.boarding_teams", "-1"),
        ("court.capacity=0", "court.capacity", "0"),
        ("behaviour.breakout.group=0", "behaviour.breakout.group", "0"),
        (
            "+behaviour.groups.shadw.prior_b=30",
            "behaviour.groups.shadw",
            "not a group of this scenario (shadow, mainstream)",
        ),
        # storage consistency
        ("terminal.storage_init_bbl=1e9", "terminal.storage_init_bbl", "storage_capacity_bbl"),
        ("terminal.storage_min_bbl=4e7", "terminal.storage_min_bbl", "storage_init_bbl"),
        ("fleet.classes.VLCC=1e9", "fleet.classes", "fit in storage"),
        ("production.cut.full_fill=0.5", "production.cut.full_fill", "start_fill"),
        # distributions
        ("navy.boarding_days={dist: gamma, mean: 2}", "navy.boarding_days", "missing cv"),
        (
            "navy.boarding_days={dist: exponential, mean: 2, sigma: 1}",
            "navy.boarding_days",
            "unexpected sigma",
        ),
        ("navy.boarding_days={dist: weibull, mean: 2}", "navy.boarding_days.dist", "weibull"),
        ("navy.boarding_days={mean: 2}", "navy.boarding_days.dist", "missing"),
        ("navy.boarding_days={dist: uniform, low: 3, high: 1}", "navy.boarding_days", "low"),
        (
            "navy.escort_days={dist: triangular, low: 1, mode: 5, high: 3}",
            "navy.escort_days",
            "mode",
        ),
        (
            "behaviour.groups.shadow.patience_days={dist: fixed}",
            "behaviour.groups.shadow.patience_days",
            "missing value",
        ),
        # enumerations
        ("court.policy=sometimes", "court.policy", "sometimes"),
        ("navy.targets=everyone", "navy.targets", "everyone"),
        ("fleet.mode=half", "fleet.mode", "half"),
        ("initial.loaded_waiting.0.status=pirate", "initial.loaded_waiting.0.status", "pirate"),
        # the fleet
        (
            "initial.loaded_waiting=[{class: VLCC, status: sanctioned, count: 1000}]",
            "initial",
            "fleet.tankers has only",
        ),
        ("fleet.tankers.0.class=ULCC", "fleet.tankers.0.class", "ULCC"),
        (
            "initial.waiting_berth.0.waited_days=5",
            "initial.waiting_berth.0.waited_days",
            "only tankers in loaded_waiting",
        ),
        # dates
        ("start_date=2025-13-45", "start_date", "YYYY-MM-DD"),
        ("start_date=yesterday", "start_date", "YYYY-MM-DD"),
    ],
)
def test_validation_error_names_the_key(override, key, detail):
    message = error_of(override)
    assert message.startswith(f"{key}:"), message
    assert detail in message, message


def test_unknown_class_in_open_fleet_arrivals():
    message = error_of(
        "fleet.mode=open",
        "fleet.arrival_rate_per_day=1",
        "fleet.arrival_mix=[{class: ULCC, status: sanctioned}]",
    )
    assert message.startswith("fleet.arrival_mix.0.class:") and "ULCC" in message


def test_unknown_class_in_initial_open_fleet():
    message = error_of(
        "fleet.mode=open",
        "initial.loaded_waiting=[{class: ULCC, status: sanctioned, count: 1}]",
    )
    assert message.startswith("initial.loaded_waiting.0.class:") and "ULCC" in message


def test_unknown_class_in_initial_closed_fleet():
    message = error_of("initial.loaded_waiting=[{class: ULCC, status: sanctioned, count: 1}]")
    assert message.startswith("initial.loaded_waiting.0.class:"), message
    assert "fleet.classes" in message


def test_initial_placing_more_than_the_fleet_has():
    message = error_of("initial.loaded_waiting=[{class: VLCC, status: sanctioned, count: 1000}]")
    assert "fleet.tankers" in message and "VLCC" in message


@pytest.mark.parametrize("group", ["policy", "scenario", "experiment"])
def test_bad_group_option(group):
    message = error_of(f"{group}=nonexistent")
    assert f"{group}/nonexistent" in message and "available" in message


def test_bad_validation_scenario():
    with pytest.raises(sim.ConfigError, match="nonexistent"):
        sim.load_config("validation/nonexistent")


def test_closed_fleet_needs_a_tanker():
    message = error_of("fleet.tankers=[]", "initial.loaded_waiting=[]", "initial.waiting_berth=[]")
    assert message.startswith("fleet.tankers:")


def test_validate_plain_mappings():
    """The same messages come from validating a plain mapping (no Hydra)."""
    bad = {**BASE, "navy": {**BASE["navy"], "detection_prob": 3}}
    with pytest.raises(sim.ConfigError, match=r"^navy\.detection_prob:"):
        validate(bad)
    with pytest.raises(sim.ConfigError, match=r"^colour: unknown key"):
        validate({**BASE, "colour": "red"})
    missing = {k: v for k, v in BASE.items() if k != "terminal"}
    with pytest.raises(sim.ConfigError, match=r"^terminal: required key is missing"):
        validate(missing)
    assert validate(BASE) == sim.load_config("venezuela_dec2025")


def test_config_is_frozen():
    cfg = sim.load_config("venezuela_dec2025")
    with pytest.raises(ValueError):
        cfg.horizon_days = 5  # type: ignore[misc]
    with pytest.raises(ValueError):
        cfg.navy.boarding_teams = 5  # type: ignore[misc]


def test_bare_number_is_a_fixed_distribution():
    cfg = sim.load_config("venezuela_dec2025", overrides=["navy.boarding_days=2.5"])
    assert cfg.navy.boarding_days == Fixed(value=2.5)
    assert cfg.navy.boarding_days.mean_value == 2.5
    assert as_dist(3) == Fixed(value=3.0)


def test_mapping_override_replaces_the_distribution():
    cfg = sim.load_config(
        "venezuela_dec2025", overrides=["navy.boarding_days={dist: exponential, mean: 2}"]
    )
    assert cfg.navy.boarding_days == Exponential(mean=2.0)


def test_overrides_set_keys_the_scenario_leaves_out():
    cfg = sim.load_config("validation/v1_md1", overrides=["navy.boarding_teams=4"])
    assert cfg.navy.boarding_teams == 4


def test_round_trip_to_dict():
    for name in ("venezuela_dec2025", "validation/v2_erlang_b"):
        cfg = sim.load_config(name)
        assert validate(cfg.to_dict()) == cfg


@pytest.mark.parametrize("name", ["v1_md1", "v2_erlang_b", "v3_detection", "v4_little"])
def test_validation_configs_load(name):
    cfg = sim.load_config(f"validation/{name}")
    assert cfg.name == name and cfg.fleet.mode == "open"


def test_user_config_dir(tmp_path):
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        textwrap.dedent(
            """\
            # @package _global_
            name: mine
            horizon_days: 12
            production: {export_bpd: 100000}
            terminal: {storage_capacity_bbl: 5000000, storage_init_bbl: 1000000,
                       loading_rate_bpd: 500000}
            fleet:
              mode: open
              classes: {Aframax: 700000}
              arrival_rate_per_day: 0.2
              arrival_mix: [{class: Aframax, status: sanctioned}]
            """
        )
    )
    cfg = sim.load_config("mine", config_dir=tmp_path)
    assert cfg.name == "mine" and cfg.horizon_days == 12
    assert cfg.terminal.storage_init_bbl == 1_000_000 and cfg.fleet.mode == "open"
    cfg = sim.load_config("mine", overrides=["horizon_days=3"], config_dir=tmp_path)
    assert cfg.horizon_days == 3
    assert len(sim.simulate(cfg, seed=1).timeseries) == 3
    # The bundled scenarios stay available next to the user's.
    assert sim.load_config("venezuela_dec2025", config_dir=tmp_path).name == "venezuela_dec2025"
    with pytest.raises(sim.ConfigError, match="mine"):
        sim.load_config("mine")  # not without the folder


def test_user_config_dir_must_exist(tmp_path):
    with pytest.raises(sim.ConfigError, match="config_dir"):
        sim.load_config("venezuela_dec2025", config_dir=tmp_path / "missing")
