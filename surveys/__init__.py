"""The survey engine: definitions, XLSForm import/export, expressions, validation,
profile bindings, submission import and exports.  Pure library: no database, no web.
"""

from surveys.bindings import extract_consents, extract_profile
from surveys.definition import Definition, Group, Page, Question, Settings, all_columns, pages
from surveys.exports import export_csv, export_json, export_xlsx, safe_cell
from surveys.expressions import ExpressionError
from surveys.submissions import (
    ParsedSubmission,
    ParseResult,
    RowError,
    parse_csv,
    parse_kobo_json,
    parse_odk_zip,
    parse_xlsx,
)
from surveys.validation import coerce_answers, prepare_answers, validate_all, validate_page
from surveys.xlsform import XLSFormError, export_xlsform, import_xlsform

__all__ = [
    "Definition",
    "ExpressionError",
    "Group",
    "Page",
    "ParseResult",
    "ParsedSubmission",
    "Question",
    "RowError",
    "Settings",
    "XLSFormError",
    "all_columns",
    "coerce_answers",
    "export_csv",
    "export_json",
    "export_xlsform",
    "export_xlsx",
    "extract_consents",
    "extract_profile",
    "import_xlsform",
    "pages",
    "parse_csv",
    "parse_kobo_json",
    "parse_odk_zip",
    "parse_xlsx",
    "prepare_answers",
    "safe_cell",
    "validate_all",
    "validate_page",
]
