"""The face-validity section: each lever's responses, verdicts, surprises and notes."""

from __future__ import annotations

from sim.formatting import fmt_number as fmt
from sim.validation.levers import Lever, paired
from sim.validation.markdown import fmt_ci, table
from sim.validation.notes import NOTES
from sim.validation.theory import ci_of

__all__ = ["face_section", "lever_sentence", "reversals"]


def _verdict(diff: tuple[float, float, float], expected: int) -> str:
    """Whether a paired difference has the expected sign and excludes zero."""
    mean, lo, hi = diff
    if lo > 0 or hi < 0:
        return "as expected" if (1 if mean > 0 else -1) == expected else "**opposite to expected**"
    return "**no significant change**"


# A step back smaller than this is not reported, however significant (decline: half a point).
MATERIAL = {"export_decline": 0.005, "seizures": 0.2}


def reversals(lever: Lever, metric: str, expected: int) -> list[str]:
    """Adjacent steps whose paired difference is significantly and materially backwards."""
    out = []
    for a, b in zip(lever.values, lever.values[1:], strict=False):
        mean, lo, hi = paired(lever, a, b, metric)
        if abs(mean) < MATERIAL[metric]:
            continue
        if (expected > 0 and hi < 0) or (expected < 0 and lo > 0):
            out.append(f"{lever.label(a)} → {lever.label(b)}: {mean:+.3g} [{fmt(lo)}, {fmt(hi)}]")
    return out


def lever_sentence(lever: Lever) -> tuple[str, list[str]]:
    """One sentence on the direction of both responses, and the surprises found."""
    first, last = lever.values[0], lever.values[-1]
    parts, surprises = [], []
    for metric, name, expected in (
        ("export_decline", "Export decline", lever.expect_decline),
        ("seizures", "seizures", lever.expect_seizures),
    ):
        m0 = lever.results[first][metric].mean()
        m1 = lever.results[last][metric].mean()
        diff = paired(lever, first, last, metric)
        verdict = _verdict(diff, expected)
        rev = reversals(lever, metric, expected)
        word = "rises" if expected > 0 else "falls"
        part = (
            f"{name} goes from {fmt(m0)} to {fmt(m1)} "
            f"(paired difference {diff[0]:+.3g}, 95% CI [{fmt(diff[1])}, {fmt(diff[2])}]; "
            f"expected: {word}) — {verdict}"
        )
        if rev:
            part += f", not monotone (significant steps back: {'; '.join(rev)})"
            surprises.append(f"{lever.title}: {name.lower()} is not monotone ({'; '.join(rev)}).")
        elif verdict != "as expected":
            surprises.append(f"{lever.title}: {name.lower()}: {verdict.strip('*')}.")
        parts.append(part)
    sentence = (
        f"From {lever.label(first)} to {lever.label(last)} {lever.unit}: "
        + "; ".join(parts)
        + f". Expected because {lever.why}."
    )
    return sentence, surprises


def face_section(items: list[Lever]) -> tuple[list[str], list[str], list[str]]:
    """Markdown of the face-validity section, the surprises and the findings of the notes."""
    lines: list[str] = []
    surprises: list[str] = []
    findings: list[str] = []
    for lever in items:
        ref = lever.reference
        lines += [f"### {lever.title} (`{lever.key}`)", ""]
        sentence, found = lever_sentence(lever)
        surprises += found
        lines += [sentence, ""]
        note = NOTES[lever.key](lever) if lever.key in NOTES else None
        if note:
            lines += [note[0], ""]
            if note[1]:
                findings.append(note[1])
        extra = lever.key == "policy.enter_waters_after_days"
        header = [
            lever.unit,
            "export decline [95% CI]",
            f"Δ decline vs {lever.label(ref)} [paired CI]",
            "seizures [95% CI]",
            f"Δ seizures vs {lever.label(ref)} [paired CI]",
            "escapes",
            "turn-backs",
        ] + (["in-waters seizures"] if extra else [])
        body = []
        for x in lever.values:
            df = lever.results[x]
            d, dlo, dhi, _ = ci_of(df["export_decline"])
            s, slo, shi, _ = ci_of(df["seizures"])
            if x == ref:
                dd = ds = "reference"
            else:
                m, lo, hi = paired(lever, ref, x, "export_decline")
                dd = f"{m:+.3f} {fmt_ci(lo, hi)}"
                m, lo, hi = paired(lever, ref, x, "seizures")
                ds = f"{m:+.2f} {fmt_ci(lo, hi)}"
            row = [
                f"**{lever.label(x)}**" if x == ref else lever.label(x),
                f"{d:.3f} {fmt_ci(dlo, dhi)}",
                dd,
                f"{fmt(s)} {fmt_ci(slo, shi)}",
                ds,
                fmt(df["escapes"].mean()),
                fmt(df["turnbacks"].mean()),
            ]
            if extra:
                row.append(fmt(df["seizures_in_waters"].mean()))
            body.append(row)
        lines += [*table(header, body), ""]
    return lines, surprises, findings
