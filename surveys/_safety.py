"""Checks run on uploaded spreadsheets before any parser opens them.

Uploaded XLSForms come from staff browsers but may have been fetched from anywhere,
so the container is inspected first: size, magic bytes, macros, zip bombs (declared
and actual uncompressed size, compression ratio), XML that tries entity tricks or is
broken, and sheets with phantom rows that would make a reader crawl.  Each check is
cheap and bounded, so a hostile file is refused in well under a second.

Other zip uploads (ODK Central's .csv.zip exports) go through `open_zip`, which also
refuses member names that climb out of the archive and encrypted members, and are read
with `open_member`, which counts the bytes actually inflated against a `Budget`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Literal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# VBA storage names as they appear (UTF-16LE) in an OLE2 directory.
_OLE_MACRO_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"),)


class UnsafeFile(ValueError):
    """The upload is refused before parsing; the message says why."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what an upload may cost to open."""

    max_bytes: int = 10 * 1024 * 1024
    max_uncompressed: int = 50 * 1024 * 1024
    max_ratio: int = 100
    max_rows: int = 20_000
    max_members: int = 500


def sniff(data: bytes, filename: str, limits: Limits) -> Literal["xlsx", "xls"]:
    """Refuse oversized, macro-enabled or non-Excel uploads; say which format it is."""
    lower = filename.lower()
    if lower.endswith(MACRO_EXTENSIONS):
        raise UnsafeFile(
            f"{filename}: macro-enabled or binary workbooks are refused; save as .xlsx"
        )
    if len(data) > limits.max_bytes:
        raise UnsafeFile(
            f"{filename}: file is {len(data):,} bytes, more than the {limits.max_bytes:,} allowed"
        )
    if data.startswith(XLSX_MAGIC):
        if lower.endswith(".xls"):
            raise UnsafeFile(f"{filename}: content is .xlsx but the name says .xls")
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        if lower.endswith(".xlsx"):
            raise UnsafeFile(f"{filename}: content is an old .xls workbook but the name says .xlsx")
        if any(marker in data for marker in _OLE_MACRO_MARKERS):
            raise UnsafeFile(f"{filename}: workbook contains macros (VBA project); remove them")
        return "xls"
    raise UnsafeFile(f"{filename}: not an Excel workbook (.xlsx or .xls)")


def check_xlsx(data: bytes, filename: str, limits: Limits) -> None:
    """Inspect an xlsx zip without trusting it: bombs, macros, broken XML, phantom rows."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafeFile(f"{filename}: damaged .xlsx (not a readable zip): {error}") from error
    with archive:
        infos = archive.infolist()
        _check_members(infos, filename, limits)
        names = {info.filename for info in infos}
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise UnsafeFile(
                f"{filename}: workbook contains macros (vbaProject.bin); save as .xlsx"
            )
        if "xl/workbook.xml" not in names:
            raise UnsafeFile(f"{filename}: not an Excel workbook (no xl/workbook.xml)")
        budget = Budget(limits.max_uncompressed)
        _check_content_types(archive, filename, budget)
        sheets = _sheet_parts(archive, filename, budget)
        for info in infos:
            if info.filename.endswith((".xml", ".rels")) and info.filename not in sheets:
                _parse_all(archive, info.filename, filename, budget)
        for part, sheet_name in sheets.items():
            if part in names:
                _check_rows(archive, part, sheet_name, filename, limits, budget)


def _check_members(infos: list[zipfile.ZipInfo], filename: str, limits: Limits) -> None:
    if len(infos) > limits.max_members:
        raise UnsafeFile(
            f"{filename}: {len(infos)} parts in the zip, more than {limits.max_members}"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed:
        raise UnsafeFile(
            f"{filename}: unpacks to {total:,} bytes, more than {limits.max_uncompressed:,} "
            "(zip bomb?)"
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise UnsafeFile(
                f"{filename}: part {info.filename} expands {ratio:.0f} times "
                f"(limit {limits.max_ratio}); refused as a possible zip bomb"
            )


def open_zip(data: bytes, filename: str, limits: Limits) -> zipfile.ZipFile:
    """Open an uploaded zip archive (not a workbook) after checking it without trusting it.

    Refused: oversized uploads, damaged zips, too many members, declared bombs (total
    size, ratio), member names that climb out of the archive (`..`, absolute paths,
    drive letters) and encrypted members.  Read members with `open_member` so the bytes
    actually inflated are counted too.
    """
    if len(data) > limits.max_bytes:
        raise UnsafeFile(
            f"{filename}: file is {len(data):,} bytes, more than the {limits.max_bytes:,} allowed"
        )
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnsafeFile(f"{filename}: not a readable zip archive ({error})") from error
    try:
        infos = archive.infolist()
        _check_members(infos, filename, limits)
        for info in infos:
            _check_member_name(info, filename)
    except UnsafeFile:
        archive.close()
        raise
    return archive


def _check_member_name(info: zipfile.ZipInfo, filename: str) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    drive = len(name) > 1 and name[1] == ":" and name[0].isalpha()
    if name.startswith(("/", "\\")) or drive or ".." in parts or "\x00" in name:
        raise UnsafeFile(
            f"{filename}: member {name!r} points outside the archive (path traversal); refused"
        )
    if info.flag_bits & 0x1:
        raise UnsafeFile(f"{filename}: member {name} is encrypted; export it without a password")


def open_member(
    archive: zipfile.ZipFile, name: str, filename: str, budget: Budget
) -> io.BufferedReader:
    """A buffered binary stream of one member; inflated bytes are counted against `budget`.

    Reading raises `UnsafeFile` when the budget runs out or the member is damaged.
    """
    return io.BufferedReader(_MemberStream(archive, name, filename, budget), 65536)


class _MemberStream(io.RawIOBase):
    def __init__(self, archive: zipfile.ZipFile, name: str, filename: str, budget: Budget) -> None:
        super().__init__()
        self._archive = archive
        self._name = name
        self._filename = filename
        self._budget = budget
        self._stream: IO[bytes] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            if self._stream is None:
                self._stream = self._archive.open(self._name)
            chunk = self._stream.read(len(buffer))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError) as error:
            raise UnsafeFile(
                f"{self._filename}: member {self._name} cannot be unpacked ({error})"
            ) from error
        self._budget.spend(len(chunk), self._filename)
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        super().close()


class Budget:
    """Counts bytes actually inflated, since a zip's declared sizes can lie."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, size: int, filename: str) -> None:
        """Count `size` inflated bytes; refuse the upload once the budget is gone."""
        self.left -= size
        if self.left < 0:
            raise UnsafeFile(f"{filename}: unpacks to more than allowed (zip bomb?)")

    def reader(self, stream: IO[bytes], filename: str) -> IO[bytes]:
        budget = self

        class _Counting:
            def read(self, size: int = -1) -> bytes:
                chunk = stream.read(size if size and size > 0 else 65536)
                budget.spend(len(chunk), filename)
                return chunk

        return _Counting()  # type: ignore[return-value]


def _events(
    archive: zipfile.ZipFile, part: str, filename: str, budget: Budget, events: tuple[str, ...]
) -> Iterator[tuple[str, object]]:
    try:
        with archive.open(part) as stream:
            yield from iterparse(budget.reader(stream, filename), events=events, forbid_dtd=True)
    except DefusedXmlException as error:
        raise UnsafeFile(
            f"{filename}: part {part} uses forbidden XML features ({error})"
        ) from error
    except ParseError as error:
        raise UnsafeFile(f"{filename}: part {part} is not well-formed XML ({error})") from error
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnsafeFile(f"{filename}: part {part} cannot be unpacked ({error})") from error


def _parse_all(archive: zipfile.ZipFile, part: str, filename: str, budget: Budget) -> None:
    for _event, element in _events(archive, part, filename, budget, ("end",)):
        element.clear()  # type: ignore[attr-defined]


def _check_content_types(archive: zipfile.ZipFile, filename: str, budget: Budget) -> None:
    if "[Content_Types].xml" not in archive.namelist():
        raise UnsafeFile(f"{filename}: not an Excel workbook (no [Content_Types].xml)")
    for _event, element in _events(archive, "[Content_Types].xml", filename, budget, ("end",)):
        content_type = element.get("ContentType", "")  # type: ignore[attr-defined]
        if "macroEnabled" in content_type or "vbaProject" in content_type:
            raise UnsafeFile(
                f"{filename}: workbook is macro-enabled ({content_type}); save as .xlsx"
            )


def _sheet_parts(archive: zipfile.ZipFile, filename: str, budget: Budget) -> dict[str, str]:
    """Map worksheet part paths to sheet names, from workbook.xml and its rels."""
    targets: dict[str, str] = {}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in archive.namelist():
        for _event, element in _events(archive, rels, filename, budget, ("end",)):
            if element.tag.endswith("Relationship"):  # type: ignore[attr-defined]
                target = element.get("Target", "")  # type: ignore[attr-defined]
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                targets[element.get("Id", "")] = target  # type: ignore[attr-defined]
    sheets: dict[str, str] = {}
    for _event, element in _events(archive, "xl/workbook.xml", filename, budget, ("end",)):
        if element.tag == f"{_SHEET_NS}sheet":  # type: ignore[attr-defined]
            target = targets.get(element.get(f"{_REL_NS}id", ""), "")  # type: ignore[attr-defined]
            if target:
                sheets[target] = element.get("name", "?")  # type: ignore[attr-defined]
    return sheets


def _check_rows(
    archive: zipfile.ZipFile,
    part: str,
    sheet: str,
    filename: str,
    limits: Limits,
    budget: Budget,
) -> None:
    """Refuse sheets with more row elements than any XLSForm needs (phantom rows)."""
    rows = 0
    for _event, element in _events(archive, part, filename, budget, ("end",)):
        tag = element.tag  # type: ignore[attr-defined]
        if tag == f"{_SHEET_NS}dimension":
            _check_dimension(element.get("ref", ""), sheet, filename, limits)  # type: ignore[attr-defined]
        elif tag == f"{_SHEET_NS}row":
            rows += 1
            element.clear()  # type: ignore[attr-defined]
            if rows > limits.max_rows:
                raise UnsafeFile(
                    f"{filename}: sheet '{sheet}' has more than {limits.max_rows:,} rows; "
                    "delete the empty rows below the form"
                )


def _check_dimension(ref: str, sheet: str, filename: str, limits: Limits) -> None:
    last = ref.split(":")[-1]
    digits = "".join(ch for ch in last if ch.isdigit())
    if digits and int(digits) > limits.max_rows:
        raise UnsafeFile(
            f"{filename}: sheet '{sheet}' claims {int(digits):,} rows (range {ref}), more than "
            f"{limits.max_rows:,}; delete the empty rows below the form"
        )
