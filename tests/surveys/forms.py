"""Build small XLSForms in memory with openpyxl for the tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

SHARED = Path(__file__).resolve().parents[3] / "shared" / "xlsform"
SURVEY_XLSX = (
    Path(__file__).resolve().parents[2] / "sample_data" / "survey" / "diaspora_mapping.xlsx"
)


def xlsform(
    survey: Sequence[Sequence[object]],
    choices: Sequence[Sequence[object]] | None = None,
    settings: Sequence[Sequence[object]] | None = None,
) -> bytes:
    """An .xlsx from rows (first row of each sheet = headers)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    for name, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = workbook.create_sheet(name)
            for row in rows:
                extra.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_zip(
    data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None
) -> bytes:
    """Copy an xlsx, replacing or adding parts (to build hostile files)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


SIMPLE = xlsform(
    [
        ["type", "name", "label", "required", "constraint"],
        ["text", "full_name", "Name", "yes", ""],
        ["integer", "age", "Age", "", ". >= 0 and . < 130"],
    ]
)

# Repeats, cascading selects, several languages, or_other and a field-list group.
RICH = xlsform(
    [
        [
            "type",
            "name",
            "label::English (en)",
            "label::French (fr)",
            "hint::English (en)",
            "constraint_message::English (en)",
            "constraint_message::French (fr)",
            "required",
            "relevant",
            "constraint",
            "choice_filter",
            "appearance",
            "repeat_count",
            "calculation",
            "diaspora_type",
            "bind::diaspora",
            "default",
        ],
        [
            "begin group",
            "identity",
            "Identity",
            "Identité",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "field-list",
        ],
        [
            "text",
            "first_name",
            "First name",
            "Prénom",
            "As in your passport",
            "",
            "",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "first_name",
        ],
        [
            "integer",
            "birth_year",
            "Birth year",
            "Année de naissance",
            "",
            "Between 1920 and 2010",
            "Entre 1920 et 2010",
            "yes",
            "",
            ". >= 1920 and . <= 2010",
            "",
            "",
            "",
            "",
            "",
            "birth_year",
        ],
        [
            "text",
            "country",
            "Country",
            "Pays",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "country",
            "residence_country",
        ],
        ["end group"],
        ["select_one region", "region", "Region", "Région"],
        ["select_one city", "city", "City", "Ville", "", "", "", "", "", "", "${region} = cf"],
        [
            "select_multiple mode or_other",
            "modes",
            "Modes",
            "Modalités",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "modes",
        ],
        [
            "integer",
            "n_children",
            "Children",
            "Enfants",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "0",
        ],
        [
            "begin repeat",
            "children",
            "Child",
            "Enfant",
            "",
            "",
            "",
            "",
            "${n_children} > 0",
            "",
            "",
            "",
            "${n_children}",
        ],
        ["text", "child_name", "Child name", "Nom de l’enfant", "", "", "", "yes"],
        [
            "integer",
            "child_age",
            "Child age",
            "Âge de l’enfant",
            "",
            "Younger than you",
            "Plus jeune que vous",
            "",
            "",
            ". < 2025 - ${birth_year}",
        ],
        ["calculate", "child_pos", "", "", "", "", "", "", "", "", "", "", "", "position(..)"],
        ["end repeat"],
        [
            "text",
            "skills",
            "Skills",
            "Compétences",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "skill",
            "skills",
        ],
        ["calculate", "n_listed", "", "", "", "", "", "", "", "", "", "", "", "count(${children})"],
        ["note", "bye", "Thanks ${first_name}", "Merci ${first_name}"],
    ],
    [
        ["list_name", "name", "label::English (en)", "label::French (fr)", "cf"],
        ["region", "north", "North", "Nord"],
        ["region", "south", "South", "Sud"],
        ["city", "n1", "Northtown", "Villenord", "north"],
        ["city", "s1", "Southtown", "Villesud", "south"],
        ["mode", "temporary", "Temporary", "Temporaire"],
        ["mode", "virtual", "Virtual", "Virtuel"],
    ],
    [
        ["form_title", "form_id", "version", "default_language"],
        ["Rich", "rich", "3", "English (en)"],
    ],
)
