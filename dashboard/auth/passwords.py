"""Password hashing: Argon2id (argon2-cffi's current defaults, RFC 9106 low-memory profile), and
the strength rule: a length, then zxcvbn (its lists of common passwords, names and words, and its
patterns: repeats, sequences, keyboard walks, dates)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 256
# zxcvbn's score 0-4; 3 is "safely unguessable: moderate protection from an offline slow-hash
# scenario" (about 10^8 guesses and more), what Argon2 hashes make of a leaked database
MIN_SCORE = 3
_hasher = PasswordHasher()
# Compared against when the account does not exist, so that a wrong name costs as much time
# as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class WeakPassword(ValueError):
    pass


def check_strength(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("the password must not begin or end with spaces")
    result = zxcvbn(password, user_inputs=list(user_inputs))
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "it is a common password or follows an easy pattern"
        raise WeakPassword(f"the password is too easy to guess ({hint.rstrip('.')}); "
                           "use a few unrelated words or a longer random one")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
