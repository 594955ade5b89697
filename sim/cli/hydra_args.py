"""Hydra's command line through Hydra's public API: its flags, its sweeps, its ``argv``.

``blockade`` checks the whole command line before Hydra starts, so it parses Hydra's flags
itself (:func:`args_parser`, the flags of Hydra 1.3's own parser, errors in one line; its
own ``--plots`` is taken out first, :func:`own_flags`) and
expands a ``-m`` sweep into its jobs itself (:func:`sweep_points`, in the order Hydra's
basic sweeper launches them: job ``N`` of the plan is Hydra's job ``N``).
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from sim.cli.common import PROG, ArgParser, CliError

#: ``--info`` topics, as Hydra 1.3 lists them.
INFO_CHOICES = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")


def args_parser() -> ArgParser:
    """Hydra 1.3's command-line flags (``hydra/_internal/utils.py``), errors as one line."""
    from hydra import __version__

    p = ArgParser(prog=PROG, add_help=False, description="Hydra")
    p.add_argument("--help", "-h", action="store_true", help="Application's help")
    p.add_argument("--hydra-help", action="store_true", help="Hydra's help")
    p.add_argument("--version", action="version", version=f"Hydra {__version__}")
    p.add_argument("overrides", nargs="*", help="key=value overrides")
    p.add_argument("--cfg", "-c", choices=["job", "hydra", "all"], help="show the config")
    p.add_argument("--resolve", action="store_true", help="resolve interpolations (with --cfg)")
    p.add_argument("--package", "-p", help="config package to show")
    p.add_argument("--run", "-r", action="store_true", help="run a job")
    p.add_argument("--multirun", "-m", action="store_true", help="run a sweep")
    p.add_argument("--shell-completion", "-sc", action="store_true", help="shell completion")
    p.add_argument("--config-path", "-cp", help="refused: use --config-dir")
    p.add_argument("--config-name", "-cn", help="refused: use scenario=NAME")
    p.add_argument("--config-dir", "-cd", help="a folder of your own scenarios")
    p.add_argument("--experimental-rerun", help="refused: it would load a pickle file")
    p.add_argument("--info", "-i", const="all", nargs="?", choices=INFO_CHOICES)
    return p


#: ``blockade``'s one flag of its own (not Hydra's), anywhere on the line: draw each run's
#: plots (FOLDER/plots, and a sweep's) when it finishes; without it ``blockade report``
#: draws them.
PLOTS_FLAG = "--plots"


def own_flags(argv: Sequence[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--plots``, and whether it was there: Hydra's parser (which reads
    ``sys.argv`` again) does not know it, and argparse would not take it between overrides."""
    kept = [a for a in argv if a != PLOTS_FLAG]
    return kept, len(kept) < len(argv)


def sweep_points(overrides: Sequence[Any]) -> list[list[str]]:
    """Every job's overrides (parsed ``overrides`` expanded), in Hydra's basic sweeper's order.

    Each key keeps the place of its first mention and the value of its last; the product
    varies the last key fastest, so job numbers match the ones Hydra gives.
    """
    from hydra.errors import HydraException

    columns: dict[str, list[str]] = {}
    try:
        for o in overrides:
            columns[o.get_key_element()] = _column(o)
    except HydraException as exc:
        raise CliError(f"-m: {' '.join(str(exc).split())}") from None
    return [list(point) for point in itertools.product(*columns.values())]


def _column(override: Any) -> list[str]:
    """One override's values as ``key=value`` strings (one for a plain override)."""
    key = override.get_key_element()
    if not override.is_sweep_override():
        return [f"{key}={override.get_value_element_as_str()}"]
    if not override.is_discrete_sweep():
        raise CliError(f"-m: BasicSweeper does not support sweep type : {override.value_type.name}")
    if getattr(override.value(), "shuffle", False):
        raise CliError(
            f"{override.key_or_group}: shuffle(...) is not supported (every job's config is "
            "fixed before the sweep starts)"
        )
    return [f"{key}={value}" for value in override.sweep_string_iterator()]


@contextlib.contextmanager
def hydra_argv(argv: Sequence[str]) -> Iterator[None]:
    """Hand ``argv`` to ``hydra.main`` for the duration of the call.

    Hydra 1.3's ``hydra.main`` takes no argument list: its wrapper parses ``sys.argv``
    (``get_args_parser().parse_args()`` in ``hydra/main.py``) and the public alternatives
    (``hydra.compose``) run no launcher or sweeper. So ``sys.argv`` is swapped, and restored.
    """
    saved = sys.argv
    sys.argv = [saved[0] if saved else PROG, *argv]
    try:
        yield
    finally:
        sys.argv = saved
