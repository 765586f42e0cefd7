"""Merge translations from a JSON file {"fr": {"msgid": "msgstr"}, ...} into the catalogues."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "web" / "translations"


def main(path: str) -> None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for lang, pairs in data.items():
        po_path = ROOT / lang / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for msgid, msgstr in pairs.items():
            if msgid in catalog:
                catalog[msgid].string = msgstr
                catalog[msgid].flags.discard("fuzzy")
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1])
