"""What every analysis function accepts: an ExperimentResult, or the folder that holds one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["PathLike", "as_result"]

PathLike = str | os.PathLike[str]


def as_result(result_or_dir: Any) -> Any:
    """An ExperimentResult: ``result_or_dir`` itself, or loaded from a result folder."""
    if isinstance(result_or_dir, str | os.PathLike):
        import sim  # lazy: sim may import this package

        return sim.load_results(Path(result_or_dir))
    return result_or_dir
