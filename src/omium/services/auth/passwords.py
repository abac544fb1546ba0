"""Password hashing (argon2id) and the minimum password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from omium.errors import ErrorCode, ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 128

# argon2-cffi's defaults are the RFC 9106 low-memory profile of argon2id.
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("omium-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Whether ``password`` matches ``hashed``; constant work when there is no hash."""
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise 422 INVALID_FIELD_FORMAT (field ``password``) for a password too weak to keep."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    if not any(c.isalpha() for c in password):
        problems.append("a letter")
    if not any(c.isdigit() for c in password) and not any(not c.isalnum() for c in password):
        problems.append("a digit or a symbol")
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            problems.append("not the email address")
    if problems:
        raise ValidationError(
            "Password does not meet the policy: needs " + ", ".join(problems),
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": "body.password", "requirements": problems},
        )
