"""Developer checks run by ``make lint`` (not part of the package)."""
