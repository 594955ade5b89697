"""Optional dependencies: what a missing one says (one line, never a traceback)."""

from __future__ import annotations

import importlib.util

from sim.config import ConfigError


class MissingExtra(ConfigError):
    """A setting or command needs a package of an optional extra that is not installed."""


def importable(module: str) -> bool:
    """Whether ``module``'s top-level package is installed (nothing is imported)."""
    return importlib.util.find_spec(module.partition(".")[0]) is not None


def missing(module: str, extra: str, what: str) -> MissingExtra | None:
    """The error for ``what`` (a key or a command) when ``module`` is not importable."""
    if importable(module):
        return None
    return MissingExtra(
        f"{what}: needs {module}, which is in the optional '{extra}' extra: "
        f"pip install 'blockade-sim[{extra}]' (make test installs every extra)"
    )


def require(module: str, extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` for ``what`` unless ``module`` is importable."""
    error = missing(module, extra, what)
    if error is not None:
        raise error
