"""Readable labels of config keys for axes, legends and titles: the one place they live.

A key is a key path as typed on the command line (``navy.boarding_teams``,
``court.delay_days.median``, ``policy``). :func:`key_label` gives ``label (unit)``, the unit
being the one the key's value is given in (a chart's tick labels show the raw values);
:func:`key_name` the label alone. A parameter of a distribution (``.median``, ``.mean``…)
qualifies the label of the setting it draws (``Median court delay (days)``); an owner
group's setting (``behaviour.groups.NAME.risk_threshold``) takes that of the setting, with
the group named. A key without an entry falls back to the key itself. Metric labels live in
:mod:`sim.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KEY_LABELS", "KeyLabel", "key_label", "key_name", "key_unit"]

DAYS = "days"
SHARE = "0–1"  # a probability or a fraction, given as a number from 0 to 1


@dataclass(frozen=True)
class KeyLabel:
    """How a config key is shown: a label and the unit its value is given in."""

    label: str
    unit: str = ""

    @property
    def heading(self) -> str:
        """``label (unit)``, or the label alone when unitless."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


#: The labels of config keys (group settings under ``behaviour.groups.*``).
KEY_LABELS: dict[str, KeyLabel] = {
    "scenario": KeyLabel("Scenario"),
    "policy": KeyLabel("Policy preset"),
    "horizon_days": KeyLabel("Horizon", DAYS),
    "start_date": KeyLabel("Start date"),
    "production.export_bpd": KeyLabel("Pre-blockade export rate", "bpd"),
    "production.cut.enabled": KeyLabel("Production cuts"),
    "production.cut.max_fraction": KeyLabel("Deepest production cut", SHARE),
    "terminal.storage_capacity_bbl": KeyLabel("Storage capacity", "bbl"),
    "terminal.storage_init_bbl": KeyLabel("Storage at day 0", "bbl"),
    "terminal.berths": KeyLabel("Berths", "berths"),
    "terminal.loading_rate_bpd": KeyLabel("Loading rate", "bpd"),
    "fleet.arrival_rate_per_day": KeyLabel("Tanker arrivals", "per day"),
    "navy.enabled": KeyLabel("Navy active"),
    "navy.targets": KeyLabel("Navy targets"),
    "navy.detection_prob": KeyLabel("Detection probability", SHARE),
    "navy.dark_detection_prob": KeyLabel("Detection probability, dark", SHARE),
    "navy.boarding_teams": KeyLabel("Boarding teams", "teams"),
    "navy.boarding_days": KeyLabel("Boarding time", DAYS),
    "navy.escort_days": KeyLabel("Escort time", DAYS),
    "navy.exposure_days": KeyLabel("Time in the interdiction zone", DAYS),
    "navy.territorial_transit_days": KeyLabel("Transit of territorial waters", DAYS),
    "navy.board_success_prob": KeyLabel("Boarding success probability", SHARE),
    "navy.pursuit_prob": KeyLabel("Pursuit probability", SHARE),
    "navy.pursuit_days": KeyLabel("Pursuit time", DAYS),
    "court.policy": KeyLabel("Warrant policy"),
    "court.capacity": KeyLabel("Court capacity", "applications at once"),
    "court.delay_days": KeyLabel("Court delay", DAYS),
    "court.approval_prob": KeyLabel("Warrant approval probability", SHARE),
    "court.validity_days": KeyLabel("Warrant validity", DAYS),
    "court.renew": KeyLabel("Warrants renewed"),
    "policy.enter_waters_after_days": KeyLabel("Navy enters waters after", DAYS),
    "policy.in_waters_success_prob": KeyLabel("In-waters boarding success", SHARE),
    "behaviour.news_lag_days": KeyLabel("News lag", DAYS),
    "behaviour.breakout.group": KeyLabel("Breakout group size", "tankers"),
    "behaviour.breakout.min_wait_days": KeyLabel("Breakout after waiting", DAYS),
    "behaviour.breakout.day": KeyLabel("Breakout day", "day"),
    "behaviour.breakout.after_escapes": KeyLabel("Breakout after escapes", "escapes"),
    "behaviour.groups.*.prior_a": KeyLabel("Risk prior a", "pseudo-counts"),
    "behaviour.groups.*.prior_b": KeyLabel("Risk prior b", "pseudo-counts"),
    "behaviour.groups.*.news_weight": KeyLabel("Weight of news", "per event"),
    "behaviour.groups.*.risk_threshold": KeyLabel("Risk threshold to sail", SHARE),
    "behaviour.groups.*.turnback_threshold": KeyLabel("Risk threshold to turn back", SHARE),
    "behaviour.groups.*.patience_days": KeyLabel("Patience of loaded tankers", DAYS),
    "behaviour.groups.*.outside_days": KeyLabel("Wait outside before turning back", DAYS),
    "behaviour.groups.*.go_dark_prob": KeyLabel("Share sailing dark", SHARE),
    "experiment.replications": KeyLabel("Replications", "replications"),
    "experiment.seed": KeyLabel("Root seed"),
}

#: Parameters of a distribution (:mod:`sim.config`'s laws): the word put before the label
#: ("Median court delay") and whether the setting's unit stays (``sigma``, ``cv``: unitless).
DIST_PARAMS: dict[str, tuple[str, bool]] = {
    "value": ("", True),
    "mean": ("mean", True),
    "median": ("median", True),
    "low": ("low", True),
    "mode": ("mode", True),
    "high": ("high", True),
    "sigma": ("log-sd (sigma) of", False),
    "cv": ("coefficient of variation of", False),
}


def _lower_first(text: str) -> str:
    """``Court delay`` -> ``court delay``: a label inside a phrase."""
    return text[:1].lower() + text[1:]


def _bare(key: str) -> str:
    """The key without Hydra's ``+``/``++`` prefix and ``@package`` suffix."""
    return key.lstrip("+").split("@", 1)[0]


def _entry(key: str) -> KeyLabel | None:
    """The registry entry of ``key`` itself, a group setting's named with its group."""
    found = KEY_LABELS.get(key)
    if found is not None:
        return found
    parts = key.split(".")
    if len(parts) == 4 and parts[:2] == ["behaviour", "groups"]:
        general = KEY_LABELS.get(".".join(["behaviour", "groups", "*", parts[3]]))
        if general is not None:
            return KeyLabel(f"{general.label}, {parts[2]}", general.unit)
    return None


def lookup(key: str) -> KeyLabel | None:
    """The label of ``key`` (a distribution's parameter qualifies its setting's), or None."""
    key = _bare(key)
    found = _entry(key)
    if found is not None:
        return found
    head, _, param = key.rpartition(".")
    if param in DIST_PARAMS and head:
        setting = _entry(head)
        if setting is not None:
            word, keeps_unit = DIST_PARAMS[param]
            label = f"{word.capitalize()} {_lower_first(setting.label)}" if word else setting.label
            return KeyLabel(label, setting.unit if keeps_unit else "")
    return None


def key_label(key: str) -> str:
    """``Label (unit)`` of config key ``key``; the key itself when it has no entry."""
    found = lookup(key)
    return found.heading if found is not None else key


def key_name(key: str) -> str:
    """The label of ``key`` without its unit (for use in a title); the key if unknown."""
    found = lookup(key)
    return found.label if found is not None else key


def key_unit(key: str) -> str:
    """The unit of ``key``'s values ("" if unitless or unknown)."""
    found = lookup(key)
    return found.unit if found is not None else ""
