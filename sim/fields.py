"""The schema's building blocks, shared by sim.config and sim.timeline: strict numbers and
the frozen base model."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict


def real(v: Any) -> Any:
    """A numpy number as a Python one; anything else as it is, for strict checks."""
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


Real = Annotated[float, BeforeValidator(real)]


class StrictModel(BaseModel):
    """Frozen, unknown keys refused, strict types, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )
