"""Access rules for the account pages: email confirmation, password change, personal
access tokens (owners revoke their own; admins may revoke any; others are told nothing)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from diaspora.accounts import service as accounts
from tests.web.access import Rule, add, admin_only, outcomes, public, signed_in


def alices_token(w: Any, s: Session) -> None:
    accounts.issue_token(session=s, user=w.alice, name="alice's script")
    w.token_id = accounts.list_tokens(session=s, actor=w.alice)[0].id


add(
    Rule("GET", "/verify-email", public()),
    Rule("POST", "/verify-email", public(), form=lambda w: {"token": "nope"}),
    Rule("GET", "/account", signed_in()),
    Rule(
        "POST",
        "/account/password",
        signed_in(),
        form=lambda w: {"current_password": "wrong", "password": "x", "password_again": "x"},
    ),
    # Every persona here was created by an operator, so is already confirmed: 409 is "ok".
    Rule("POST", "/account/verify", signed_in()),
    Rule("POST", "/account/tokens", signed_in(), form=lambda w: {"name": ""}),
    Rule(
        "POST",
        "/account/tokens/{token_id}/revoke",
        outcomes("hide", anonymous="login", alice="ok", ada="ok"),
        params=lambda w: {"token_id": w.token_id},
        setup=alices_token,
    ),
    Rule("GET", "/admin/tokens", admin_only()),
)
