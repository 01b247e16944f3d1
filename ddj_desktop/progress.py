"""The Progress protocol: how long work reports how far it is and learns that it should stop. Qt-free."""

from __future__ import annotations

from typing import Protocol

from ddj_desktop.errors import Cancelled


class Progress(Protocol):
    def update(self, fraction: float, message: str = "") -> None:
        """Report `fraction` (0..1) of the work done; raise `Cancelled` if the user asked to stop."""

    def cancelled(self) -> bool:
        """Whether the user asked to stop."""


class NullProgress:
    """Progress that reports nowhere and is never cancelled."""

    def update(self, fraction: float, message: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        return False


class Stage:
    """A slice [start, end) of a parent Progress, so a sub-task can report 0..1 of its own part."""

    def __init__(self, parent: Progress, start: float, end: float) -> None:
        self.parent, self.start, self.end = parent, start, end

    def update(self, fraction: float, message: str = "") -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        self.parent.update(self.start + (self.end - self.start) * fraction, message)

    def cancelled(self) -> bool:
        return self.parent.cancelled()


def check_cancelled(progress: Progress) -> None:
    """Raise `Cancelled` if the user asked `progress` to stop."""
    if progress.cancelled():
        raise Cancelled()
