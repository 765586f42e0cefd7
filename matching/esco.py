"""Read the official ESCO CSV download into concepts (and a cached Taxonomy)."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import os
import pickle
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from matching.taxonomy import Concept, Taxonomy

_LANG_FILE = re.compile(r"^(occupations|skills|iscogroups)_([a-z]{2}(?:-[a-z]+)?)\.csv$")
_CACHE_VERSION = "1"

Opener = Callable[[], IO[bytes]]


class EscoError(ValueError):
    """The given path does not hold a readable ESCO CSV download."""


def _zip_members(archive: zipfile.ZipFile, opened: dict[str, Opener]) -> None:
    for info in archive.infolist():
        name = Path(info.filename).name.lower()
        if name.endswith(".zip"):
            # Some downloads nest the per-language zips inside one archive.
            _zip_members(zipfile.ZipFile(io.BytesIO(archive.read(info))), opened)
        elif name.endswith(".csv"):
            opened.setdefault(name, functools.partial(archive.open, info))


def _file_opener(path: Path) -> Opener:
    def opener() -> IO[bytes]:
        return path.open("rb")

    return opener


def _sources(path: Path) -> dict[str, Opener]:
    """Basename -> opener for every CSV under a folder, inside zips, or in a single zip."""
    opened: dict[str, Opener] = {}
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise EscoError(f"{path} is not a zip file or a folder")
        _zip_members(zipfile.ZipFile(path), opened)
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.suffix.lower() == ".zip":
                _zip_members(zipfile.ZipFile(p), opened)
            elif p.suffix.lower() == ".csv":
                opened.setdefault(p.name.lower(), _file_opener(p))
    else:
        raise EscoError(f"ESCO path not found: {path}")
    return opened


def _rows(opener: Opener) -> Iterator[dict[str, str]]:
    with opener() as raw:
        yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (cell or "").split("\n") if s.strip())


def _relations_file(sources: dict[str, Opener]) -> Opener | None:
    for name in sorted(sources):
        if name.startswith("occupationskillrelations"):
            return sources[name]
    return None


def read_esco(path: str | os.PathLike[str]) -> tuple[list[Concept], dict[str, str]]:
    """Skills and occupations (all languages present) and ISCO group labels from an ESCO download."""
    sources = _sources(Path(path))
    preferred: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    alternative: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    isco: dict[str, str] = {}
    codes: dict[str, str] = {}
    isco_labels: dict[str, str] = {}
    found = False
    for name in sorted(sources, key=lambda n: (not n.endswith("_en.csv"), n)):
        m = _LANG_FILE.match(name)
        if not m:
            continue
        table, lang = m.groups()
        for row in _rows(sources[name]):
            uri = row.get("conceptUri", "")
            if table == "iscogroups":
                if row.get("code") and (lang == "en" or row["code"] not in isco_labels):
                    isco_labels[row["code"]] = row.get("preferredLabel", "")
                continue
            if not uri:
                continue
            found = True
            kinds[uri] = "skill" if table == "skills" else "occupation"
            if row.get("preferredLabel"):
                preferred[uri][lang].append(row["preferredLabel"].strip())
            # Hidden labels are ESCO's own misspellings and old terms: exactly what people type.
            alternative[uri][lang].extend(
                _split(row.get("altLabels")) + _split(row.get("hiddenLabels"))
            )
            if table == "occupations":
                if row.get("iscoGroup"):
                    isco[uri] = row["iscoGroup"].strip()
                if row.get("code"):
                    codes[uri] = row["code"].strip()
    if not found:
        raise EscoError(f"no ESCO occupations_*.csv or skills_*.csv found under {path}")
    essential: dict[str, list[str]] = defaultdict(list)
    optional: dict[str, list[str]] = defaultdict(list)
    relations = _relations_file(sources)
    if relations is not None:
        for row in _rows(relations):
            occ, skill = row.get("occupationUri", ""), row.get("skillUri", "")
            if occ in kinds and skill in kinds:
                target = essential if row.get("relationType") == "essential" else optional
                target[occ].append(skill)
    concepts = []
    for uri in sorted(kinds):
        pref = {lang: tuple(dict.fromkeys(v)) for lang, v in sorted(preferred[uri].items()) if v}
        alt = {
            lang: tuple(x for x in dict.fromkeys(v) if x not in pref.get(lang, ()))
            for lang, v in sorted(alternative[uri].items())
        }
        concepts.append(
            Concept(
                id=uri,
                kind=kinds[uri],
                preferred=pref,
                alternative={k: v for k, v in alt.items() if v},
                isco_group=isco.get(uri, ""),
                code=codes.get(uri, ""),
                essential_skills=tuple(sorted(set(essential.get(uri, ())))),
                optional_skills=tuple(
                    sorted(set(optional.get(uri, ())) - set(essential.get(uri, ())))
                ),
            )
        )
    return concepts, isco_labels


def _cache_dir() -> Path | None:
    if os.environ.get("DIASPORA_MATCHING_CACHE", "").lower() in {"0", "off", "no"}:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "diaspora-matching"


def _fingerprint(path: Path) -> str:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256(_CACHE_VERSION.encode())
    # The pickled Taxonomy's layout follows the code: a changed module invalidates the cache.
    for module in ("taxonomy.py", "esco.py", "text.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    for p in files:
        st = p.stat()
        digest.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def load_esco(path: str | os.PathLike[str], *, use_cache: bool = True) -> Taxonomy:
    """A Taxonomy from an ESCO download, reusing a compiled copy cached by file size and mtime."""
    path = Path(path)
    if not path.exists():
        raise EscoError(f"ESCO path not found: {path}")
    cache_dir = _cache_dir() if use_cache else None
    cached = cache_dir / f"esco-{_fingerprint(path)}.pickle" if cache_dir else None
    if cached is not None and cached.exists():
        with contextlib.suppress(Exception):  # a stale or truncated cache is simply rebuilt
            with cached.open("rb") as fh:
                taxonomy = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content stamp
            if isinstance(taxonomy, Taxonomy):
                return taxonomy
    concepts, isco_labels = read_esco(path)
    taxonomy = Taxonomy(concepts, isco_labels=isco_labels)
    if cached is not None:
        taxonomy.word_idf()  # computed once here, then loaded with the cached copy
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(taxonomy, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cached)
        except OSError:
            pass  # a read-only home only costs the next load a few seconds
    return taxonomy
