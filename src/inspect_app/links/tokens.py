"""A link's token: derived, never stored. The row keeps a random nonce; the token is the
HMAC-SHA256 of that nonce under SECRET_KEY, base64url, cut to 22 characters (132 bits). So
staff can show the same QR code again, a copy of the database alone opens no link, and changing
SECRET_KEY retires every link at once. Only the token's SHA-256 is stored, for the lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_CHARS = 22  # x 6 bits = 132 bits, at least 128
NONCE_BYTES = 16  # 128 random bits
PURPOSE = "business-link:"
SHAPE = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_CHARS}}}$")


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def derive(secret: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), (PURPOSE + nonce).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:TOKEN_CHARS]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """22 base64url characters: anything else is nobody's link (no lookup made)."""
    return bool(SHAPE.match(token))
