"""Where a result came from: the package and library versions, the git commit, the host."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["provenance"]

#: The libraries whose versions a manifest records, by the key it records them under.
LIBRARIES: dict[str, str] = {
    "numpy": "numpy",
    "simpy": "simpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "hydra": "hydra-core",
    "pydantic": "pydantic",
    "dask": "dask",
    "distributed": "distributed",
}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _checkout(root: Path) -> tuple[str | None, bool | None]:
    """The commit of the checkout at ``root`` and whether tracked files changed (or Nones)."""
    if not (root / ".git").exists():
        return None, None
    commit = _git(["rev-parse", "HEAD"], root)
    status = _git(["status", "--porcelain", "--untracked-files=no"], root)
    return commit or None, None if status is None else bool(status)


def provenance() -> dict[str, Any]:
    """Package and library versions, and the git commit of the code if it is a checkout."""
    import sim

    commit, dirty = _checkout(Path(sim.__file__).resolve().parent.parent)
    return {
        "package": "blockade-sim",
        "package_version": getattr(sim, "__version__", None) or _version("blockade-sim"),
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{key: _version(dist) for key, dist in LIBRARIES.items()},
    }
