"""Pseudonyms institutions see: a different one for every placement request.

A member's stored pseudonym (`MemberProfile.pseudonym`) is stable: staff use it to find the
member again. Institutions must not be able to link one candidate across requests (their
own or another institution's) before an approved release of identity (issue 11, finding
19), so wherever an institution user sees a candidate (shortlists, assignments, their API
answers and the mail sent to them) the pseudonym is derived per request: an HMAC of the
server's secret key, the member id and the request id, formatted like the stored ones
(`DM-` and six Crockford base32 letters). Nothing is stored; without the secret key two
pseudonyms of one member cannot be told apart from those of two members.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from diaspora.accounts.models import Role, User
from diaspora.accounts.permissions import is_staff
from diaspora.config import get_settings

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@lru_cache(maxsize=1)
def _secret() -> bytes:
    # The process's secret key (DIASPORA_SECRET_KEY); a new key gives new pseudonyms.
    return get_settings().secret_key.encode("utf-8")


def for_request(member_id: int, request_id: int) -> str:
    """The member's pseudonym on one placement request (the same every time it is shown)."""
    digest = hmac.new(
        _secret(), f"pseudonym|request|{member_id}|{request_id}".encode(), hashlib.sha256
    ).digest()
    # 30 bits of the digest, 5 per letter: every letter equally likely.
    value = int.from_bytes(digest[:4], "big") >> 2
    letters = "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(6)))
    return f"DM-{letters}"


def shown_to(actor: User | None, *, stable: str, member_id: int, request_id: int) -> str:
    """What `actor` sees of the member on this request: staff keep the stable pseudonym (and
    a member sees their own, the only one they are shown), everyone else (institution users)
    gets the per-request one."""
    if actor is not None and (is_staff(actor) or actor.role == Role.member):
        return stable
    return for_request(member_id, request_id)
