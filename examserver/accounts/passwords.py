"""Password hashing with Argon2id (RFC 9106), cost taken from the app configuration."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

#: A hash checked when the account does not exist, so timing does not reveal which emails exist.
_DUMMY_HASH_CACHE: dict[tuple, str] = {}


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """Return the Argon2id encoded hash of ``password``."""
    return _hasher().hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    """Check ``password`` against ``encoded``; with no hash, spend the same time and fail."""
    hasher = _hasher()
    if encoded is None:
        key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
        encoded = _DUMMY_HASH_CACHE.get(key)
        if encoded is None:  # once per process and cost setting: later unknown emails cost one verify
            encoded = _DUMMY_HASH_CACHE[key] = hasher.hash("not-a-password")
        password = password + "\x00"
    try:
        return hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Whether ``encoded`` was made with other cost parameters than the current ones."""
    return _hasher().check_needs_rehash(encoded)
