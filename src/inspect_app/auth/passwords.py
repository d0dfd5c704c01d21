"""Argon2 password hashing with cost taken from settings (cheap in tests, strong in production)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspect_app.settings import Settings


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher_for(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(password: str, *, settings: Settings) -> str:
    return hasher_for(settings).hash(password)


def verify_password(password_hash: str, password: str, *, settings: Settings) -> bool:
    try:
        return hasher_for(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified when the username does not exist, so a miss costs as much time as a wrong password.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


def burn_time(password: str, *, settings: Settings) -> None:
    key = (settings.argon2_time_cost, settings.argon2_memory_kib)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password", settings=settings)
    verify_password(_DUMMY_HASH[key], password, settings=settings)
