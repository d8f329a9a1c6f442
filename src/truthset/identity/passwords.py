"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from truthset.errors import Invalid

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the response time the same, so
# timing does not reveal which e-mail addresses have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def use_fast_hashing(fast: bool) -> None:
    """Test suites hash hundreds of passwords; the cheapest argon2 profile keeps them quick.
    Stored hashes carry their parameters, so verification works either way."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if fast else PasswordHasher()
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"password must be at least {MIN_LENGTH} characters long")
    if len(password) > 1024:
        raise Invalid("password must be at most 1024 characters long")


def generate_password() -> str:
    return secrets.token_urlsafe(12)
