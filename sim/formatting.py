"""Number formatting shared by the CLI tables, the sensitivity tables and the report."""

from __future__ import annotations

import math


def fmt_number(x: float, digits: int = 3) -> str:
    """A compact number: 3 significant digits, thousands separators for large values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:.{decimals}f}"
