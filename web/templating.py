"""Jinja2 environment and the one `render` used by every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from diaspora.vocab import country_name, language_name
from web import i18n
from web.labels import (
    LEGAL_BASIS_LABELS,
    OUTBOX_KINDS,
    OUTBOX_STATUSES,
    PURPOSE_LABELS,
    PURPOSE_NAMES,
    ROLE_LABELS,
)
from web.security import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["country"] = country_name
    env.filters["language"] = language_name
    # Isolated left to right (U+2066 … U+2069): on a right-to-left page "2026-12-04 18:51"
    # would otherwise read "18:51 2026-12-04".
    env.filters["dt"] = lambda v: f"\u2066{v.strftime('%Y-%m-%d %H:%M')}\u2069" if v else ""
    env.filters["label"] = lambda v: str(v or "").replace("_", " ")
    env.globals["purpose_labels"] = PURPOSE_LABELS
    env.globals["purpose_names"] = PURPOSE_NAMES
    env.globals["legal_basis_labels"] = LEGAL_BASIS_LABELS
    env.globals["role_labels"] = ROLE_LABELS
    env.globals["outbox_kinds"] = OUTBOX_KINDS
    env.globals["outbox_statuses"] = OUTBOX_STATUSES
    return env


# The variable parts of a service message: what the user typed, quoted, and numbers.
_VARIABLE = re.compile(r"'[^']*'|\d+")


def translate_message(gettext: Callable[[str], str], message: str) -> str:
    """`message` in the catalogue's language. A message with variable parts ("at most 4000
    characters (this has 5000)", "'xyz' is not a country code…") is looked up with {0}, {1}…
    in their place (quotes kept) and they are put back into the translation; anything not in
    the catalogue stays as it is."""
    found = gettext(message)
    if found != message or "{" in message or "}" in message:
        return found
    values: list[str] = []

    def hole(match: re.Match[str]) -> str:
        text = match.group(0)
        quoted = text.startswith("'")
        values.append(text[1:-1] if quoted else text)
        slot = "{" + str(len(values) - 1) + "}"
        return f"'{slot}'" if quoted else slot

    template = _VARIABLE.sub(hole, message)
    if not values:
        return message
    translated = gettext(template)
    if translated == template:
        return message
    try:
        return translated.format(*values)
    except (IndexError, KeyError, ValueError):
        return message


def esco_in_use(request: Request) -> bool:
    """Whether ESCO concepts are stored (its licence asks for a notice); rechecked every 5 min."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from diaspora.db import new_session
    from diaspora.taxonomy.service import has_esco

    state = request.app.state
    checked_at, value = getattr(state, "esco_checked", (0.0, False))
    if time.monotonic() - checked_at < 300:
        return value
    try:
        with new_session(state.engine) as session:
            value = has_esco(session=session)
    except SQLAlchemyError:
        value = False
    state.esco_checked = (time.monotonic(), value)
    return value


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page (or, for htmx requests, the same template's fragment) in the user's locale."""
    env: Environment = request.app.state.jinja
    locale = getattr(request.state, "locale", "en")
    translations = i18n.translations(locale)
    ctx = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "locale": locale,
        "dir": i18n.direction(locale),
        "locales": i18n.LOCALES,
        "csrf_token": csrf_token(request),
        "htmx": request.headers.get("hx-request") == "true",
        "esco_notice": esco_in_use(request),
        # Messages the services give in English (field errors): translated when the catalogue
        # has them (web/labels.py lists them for extraction), else shown as they are. Plain
        # gettext, not the template's _(): the message may quote what the user typed, so it
        # must stay escaped.
        "translate": lambda message: translate_message(translations.gettext, message),
        **(context or {}),
    }
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)
