"""Write docs/validation.md: the model against closed forms, facts and common sense.

    python -m benchmarks.validation                      # full run, 1-3 minutes on 2 cores
    python -m benchmarks.validation --quick --out DIR/validation.md --img-dir DIR/img

The sections are computed by :mod:`sim.validation` (see its docstring); the cliff sweeps
(:mod:`benchmarks.cliffs`) and the December 2025 comparison (:mod:`benchmarks.december`)
add theirs here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import cliffs, december
from sim.experiment.atomic import write_text_atomic
from sim.validation import COMMAND, QUICK, Sizes
from sim.validation.generate import draw_figures, model_sections, surprises
from sim.validation.report import REPO, Page, render


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny sizes")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "validation.md")
    parser.add_argument(
        "--img-dir", type=Path, default=None, help="default: <out dir>/img/validation"
    )
    parser.add_argument("--workers", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Compute every section and write the page and its figures."""
    args = _parser().parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    out: Path = args.out
    img_dir: Path = args.img_dir or out.parent / "img" / "validation"
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    found = model_sections(sizes, args.workers, say)
    say("cliffs")
    sweeps = cliffs.SWEEPS
    if sizes.cliff_points is not None:
        sweeps = [cliffs.thin(s, sizes.cliff_points) for s in sweeps]
    cliff_results = cliffs.run(sweeps, sizes.cliffs, args.workers)
    say("figures")
    images = draw_figures(
        found, img_dir, out.parent, {"cliffs": lambda p: cliffs.figure(cliff_results, p)}
    )
    cliff_lines = cliffs.markdown_lines(
        cliff_results, images["cliffs"], heading="## 4. Cliffs", command=cliffs.COMMAND
    )
    say("December 2025")
    december_lines = december.markdown_lines(sizes.scenario)
    page = Page(
        rows=found.rows,
        base_lines=found.base_lines,
        face_lines=found.face_lines,
        cliff_lines=cliff_lines,
        december_lines=december_lines,
        surprises=surprises(found, cliffs.failures(cliff_results)),
        images=images,
        sizes=sizes,
        seconds=time.perf_counter() - t0,
        workers=args.workers,
    )
    write_text_atomic(out, render(page))
    say(f"wrote {out} and {len(images)} figures in {img_dir}")


if __name__ == "__main__":
    main()
