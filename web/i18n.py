"""Locale selection and gettext catalogues (Babel) for the web shell."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.requests import Request

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
}
RTL = {"ar"}
LOCALE_COOKIE = "diaspora_lang"


@lru_cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue for `locale` (English falls back to the msgids)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def choose_locale(request: Request, default: str = "en") -> str:
    """Query ?lang= wins, then the cookie, then the user's setting, then Accept-Language."""
    for candidate in (
        request.query_params.get("lang"),
        request.cookies.get(LOCALE_COOKIE),
        getattr(getattr(request.state, "user", None), "locale", None),
    ):
        if candidate in LOCALES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LOCALES:
            return code
    return default


def direction(locale: str) -> str:
    return "rtl" if locale in RTL else "ltr"
