"""Errors a user can fix, as opposed to bugs.

A `DdjError` carries a message written for the analyst: what went wrong and what to do next. The CLI prints it
and exits with `exit_code`; the GUI shows it in a dialog. Anything else that escapes is a bug and goes to the
crash report. Messages must never contain personal data (names, DOBs, SSNs): they end up in logs.
"""


class DdjError(Exception):
    """A problem the user can fix; `str(err)` is the message to show."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


def rebuild(name: str, message: str, hint: str | None) -> DdjError:
    """The error another process reported as (class name, message, hint), as the class it was where we have it."""
    kind = globals().get(name, DdjError)
    if not (isinstance(kind, type) and issubclass(kind, DdjError)):
        kind = DdjError
    err = kind.__new__(kind)
    DdjError.__init__(err, message, hint=hint)
    return err


class StoreError(DdjError):
    """The store file cannot be used as asked."""

    exit_code = 3


class StoreBusy(StoreError):
    """Another window, command or worker holds the store's write lock for longer than this step would wait."""


class WrongPassphrase(StoreError):
    exit_code = 4


class NotAStore(StoreError):
    exit_code = 5


class StoreExists(StoreError):
    exit_code = 6


class DiskFull(StoreError):
    exit_code = 7


class PermissionDenied(DdjError):
    """The acting user's role does not allow this."""

    exit_code = 8


class AuthenticationFailed(DdjError):
    exit_code = 9


class ImportFileError(DdjError):
    """A file cannot be imported; the message names the file (and row/column where it applies)."""

    exit_code = 10


class MappingError(ImportFileError):
    """A mapping profile does not fit the file or is malformed."""


class Cancelled(DdjError):
    """The user asked long work to stop; nothing of it was kept."""

    exit_code = 130

    def __init__(self, message: str = "Cancelled: nothing was changed.") -> None:
        super().__init__(message)
