"""Components that name their neighbours, connected and checked before a replication runs."""

from __future__ import annotations

from typing import Any, ClassVar


class NotConnected(RuntimeError):
    """An actor was run without one of the neighbours it names: a bug in the world's wiring."""


class Actor:
    """A component of the model; ``NEIGHBOURS`` are the actors it talks to (desmod's connect)."""

    NEIGHBOURS: ClassVar[tuple[str, ...]] = ()

    def connect(self, **neighbours: Any) -> None:
        """Name the neighbours this actor talks to (each one of ``NEIGHBOURS``)."""
        for name, other in neighbours.items():
            if name not in self.NEIGHBOURS:
                raise NotConnected(f"{type(self).__name__} has no neighbour '{name}'")
            setattr(self, name, other)

    def check_connected(self) -> None:
        """Raise :class:`NotConnected` unless every neighbour is named."""
        missing = [n for n in self.NEIGHBOURS if getattr(self, n, None) is None]
        if missing:
            raise NotConnected(f"{type(self).__name__} is not connected to {', '.join(missing)}")
