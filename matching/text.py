"""Text normalisation shared by the taxonomy, the index and the explanations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z+#]+")

# Function words carry no meaning for matching; French ones matter because titles may be French.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "within",
        "without",
        "using",
        "use",
        "de",
        "des",
        "du",
        "d",
        "la",
        "le",
        "les",
        "l",
        "et",
        "en",
        "au",
        "aux",
        "un",
        "une",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "ou",
        "a",
    ]
)


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "s", "e")


@lru_cache(maxsize=1 << 18)
def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", folded).strip()


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """Crude English/French suffix stripping so 'assessing' and 'assess' meet."""
    # Longest suffixes first; keep at least four letters so short words survive.
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word  # 'assess', 'status', 'analysis' are not plurals
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Content words of a text, normalised and stemmed, in order."""
    return [stem(w) for w in normalise(text).split() if w not in STOPWORDS]


def bag_key(text: str) -> str:
    """Order-insensitive key: sorted distinct content-word stems."""
    return " ".join(sorted(set(tokens(text))))
