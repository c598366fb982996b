"""Short-lived signed access tokens (JWT, HS256 through PyJWT). A token names its account only: role and
entity are read from the store at each request, so disabling an account takes effect at once."""

from __future__ import annotations

import time

import jwt

_ALGORITHM = "HS256"


def issue(username: str, secret: str, minutes: int) -> str:
    # times with microseconds (RFC 7519 allows fractions): a password changed within the same second as a
    # sign-in must still tell which came first
    issued = time.time()
    return jwt.encode({"sub": username, "iat": issued, "exp": issued + minutes * 60}, secret, algorithm=_ALGORITHM)


def subject(token: str, secret: str, minutes: int) -> tuple[str, float] | None:
    """(account, issued at in epoch seconds) of a valid, unexpired token that lives no longer than `minutes`;
    None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.PyJWTError:
        return None
    sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
    numbers = all(isinstance(t, int | float) and not isinstance(t, bool) for t in (iat, exp))
    if not isinstance(sub, str) or not numbers or exp - iat > minutes * 60 + 1:
        return None
    return sub, iat
