"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, check digit."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
AUTHORITIES = frozenset("123456789ANY")


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when the code has the right shape, alphabet, region digits and check character."""
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    if code[0] not in AUTHORITIES or not code[2:8].isdigit():
        return False
    return check_char(code[:17]) == code[17]


def normalize(code: str) -> str:
    return code.strip().upper().replace(" ", "")
