"""Users, their roles and their passwords (Argon2). The store passphrase opens the file; a user's own password
picks the role, and every audit entry names the user."""

from __future__ import annotations

import datetime as dt
import getpass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ddj_desktop.errors import AuthenticationFailed, DdjError, PermissionDenied
from ddj_desktop.store.models import User

ROLES = ("admin", "analyst", "reviewer", "viewer")

# What each role may do. The governance issue refines these; Workspace checks them on every call.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({
        "view_summary", "view_identity", "view_details", "import", "link", "review", "export", "report",
        "manage_sources", "manage_users", "change_passphrase", "audit", "backup", "restore",
        "manage_agreements", "manage_retention", "view_retention", "purge", "manage_access",
    }),
    "analyst": frozenset({
        "view_summary", "view_identity", "view_details", "import", "link", "review", "export", "report",
        "manage_sources", "audit", "backup", "view_retention",
    }),
    "reviewer": frozenset({"view_summary", "view_identity", "review"}),
    "viewer": frozenset({"view_summary", "report"}),
}

_hasher = PasswordHasher()


def default_admin_name() -> str:
    try:
        name = getpass.getuser()
    except Exception:  # no login name on some service accounts
        name = ""
    return name or "admin"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise DdjError(f"Unknown role {role!r}.", hint=f"Roles are: {', '.join(ROLES)}.")
    return role


def add_user(session: Session, name: str, role: str, password: str | None) -> User:
    """A new user; only the first admin may go without a password."""
    name = name.strip()
    if not name:
        raise DdjError("A user needs a name.")
    if session.scalar(select(User).where(User.name == name)):
        raise DdjError(f"There is already a user named {name!r}.")
    first = session.scalar(select(func.count()).select_from(User)) == 0
    if password is None and not first:
        raise DdjError(f"User {name!r} needs a password.", hint="Give it with a prompt or DDJ_USER_PASSWORD.")
    user = User(
        name=name, role=check_role(role), password_hash=_hasher.hash(password) if password else None,
        active=True, created_at=now(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if not password:
        raise DdjError("The password is empty.")
    user.password_hash = _hasher.hash(password)


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is `user`'s password (False when the user has none)."""
    if user.password_hash is None:
        return False
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, name: str | None, password: str | None) -> User:
    """The user acting in this session.

    Until a second user exists, the first admin acts without a second password (the store passphrase suffices).
    """
    active = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    if not active:
        raise AuthenticationFailed("This store has no active user.")
    if name is None:
        if len(active) == 1:
            return active[0]
        raise AuthenticationFailed(
            "This store has several users: say who you are.", hint="Use --user NAME or set DDJ_USER."
        )
    user = next((u for u in active if u.name == name), None)
    if user is None:
        raise AuthenticationFailed(f"There is no active user named {name!r} in this store.")
    if len(active) == 1 and user.password_hash is None:
        return user
    if user.password_hash is None:
        raise AuthenticationFailed(f"User {name!r} has no password yet.", hint="An admin can set one.")
    if password is None:
        raise AuthenticationFailed(
            f"User {name!r} needs a password.", hint="Type it at the prompt or set DDJ_USER_PASSWORD."
        )
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise AuthenticationFailed(f"Wrong password for user {name!r}.") from exc
    return user


def require(role: str, permission: str) -> None:
    """Raise PermissionDenied unless `role` allows `permission`."""
    if permission not in PERMISSIONS.get(role, frozenset()):
        raise PermissionDenied(
            f"Your role ({role}) does not allow this ({permission.replace('_', ' ')}).",
            hint="Ask an admin of this store.",
        )
