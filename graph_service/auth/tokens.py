"""Short-lived signed access tokens (JWT, HS256 through PyJWT). A token names its account only: role and
entity are read from the store at each request, so disabling an account takes effect at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

_ALGORITHM = "HS256"


def issue(username: str, secret: str, minutes: int) -> str:
    issued = datetime.now(UTC)
    return jwt.encode({"sub": username, "iat": issued, "exp": issued + timedelta(minutes=minutes)}, secret,
                      algorithm=_ALGORITHM)


def subject(token: str, secret: str, minutes: int) -> tuple[str, int] | None:
    """(account, issued at in epoch seconds) of a valid, unexpired token that lives no longer than `minutes`;
    None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.PyJWTError:
        return None
    sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
    if not isinstance(sub, str) or not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > minutes * 60:
        return None
    return sub, iat
