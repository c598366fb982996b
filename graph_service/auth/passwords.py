"""Password hashing: Argon2id through pwdlib, with its recommended parameters."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash

MIN_LENGTH = 8
MAX_LENGTH = 256  # Argon2 would hash megabytes; a sign-in form should not make it


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account exists: an unknown name is checked against a dummy hash,
    so timing does not tell which names exist."""
    if len(password) > MAX_LENGTH:
        return False
    return _hasher().verify(password, password_hash or _dummy())


@lru_cache
def _dummy() -> str:
    return _hasher().hash("not any account's password")
