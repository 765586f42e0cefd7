"""Time the mapping dashboard's aggregates on a large synthetic diaspora.

Loads N synthetic member profiles (default 1,000,000) with their skills, languages and
survey responses, plus open placement requests, into

- SQLite: a temporary file (executemany in big transactions), and
- PostgreSQL: a dedicated temporary database on 127.0.0.1:5432 (user postgres), loaded
  with COPY and dropped at the end,

builds the dashboard's summary counts (the load bypasses the ORM hooks that keep them
current), then times `diaspora.analytics.service.dashboard` (every table of the page: map,
composition, supply and demand, responses over time, with the map drawn) for the
unfiltered view and three filtered views, and prints the figures as a table. Target:
under 500 ms per view. It also prints the time to load, to build the summary from scratch
and to apply 1,000 changed members to it.

    .venv/bin/python bench/dashboard.py [--members 1000000] [--runs 3]
        [--backends sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _pgtemp import temporary_database  # noqa: E402  (bench/ is the script's folder)
from sqlalchemy import Index, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from diaspora.accounts.models import User  # noqa: E402
from diaspora.analytics import service as analytics  # noqa: E402
from diaspora.analytics import summary  # noqa: E402
from diaspora.db import make_engine, metadata, new_session  # noqa: E402
from diaspora.vocab import SECTORS  # noqa: E402
from sample_data.demo import OCCUPATIONS  # noqa: E402

SEED = 6
NOW = datetime(2026, 6, 1, tzinfo=UTC)
VIEWS: list[tuple[str, dict[str, str]]] = [
    ("unfiltered", {}),
    ("origin=GH", {"origin": "GH"}),
    ("sector=health, mode=virtual", {"sector": "health", "mode": "virtual"}),
    ("skill='nursing care'", {"skill": "nursing care"}),
]

ORIGINS = {
    "GH": 22, "NG": 10, "GY": 8, "XK": 5, "AL": 5, "BA": 4, "RS": 5, "ME": 2, "MK": 3,
    "AF": 5, "SO": 5, "SL": 4, "SD": 4, "ET": 6, "SN": 5, "PH": 7,
}  # fmt: skip
PROGRAMME_OF = {
    "GH": 1, "AF": 2, "SO": 2, "SL": 2, "SD": 2, "AL": 3, "BA": 3, "XK": 3, "ME": 3,
    "MK": 3, "RS": 3, "GY": 4,
}  # fmt: skip
RESIDENCES = {
    "US": 14, "GB": 13, "DE": 11, "NL": 7, "IT": 6, "CA": 7, "FR": 5, "CH": 4, "AT": 4,
    "BE": 3, "SE": 3, "NO": 2, "ES": 3, "IE": 2, "AE": 3, "SA": 2, "QA": 1, "ZA": 2,
    "AU": 2, "NZ": 1, "JP": 1, "KR": 1, "CN": 1, "BR": 1, "DK": 1, "FI": 1, "PL": 1,
    "PT": 1, "TR": 1, "KE": 1, "NG": 1, "SG": 1, "MY": 1, "IN": 1, "RU": 1, "GR": 1,
    "XK": 1, "LU": 1, "IS": 1, "MT": 1,
}  # fmt: skip
LANG_OF_ORIGIN = {
    "GH": "tw", "NG": "yo", "XK": "sq", "AL": "sq", "BA": "bs", "RS": "sr", "ME": "sr",
    "MK": "mk", "AF": "fa", "SO": "so", "SD": "ar", "ET": "am", "SN": "wo", "PH": "tl",
}  # fmt: skip
LANG_OF_RESIDENCE = {
    "DE": "de", "AT": "de", "CH": "de", "NL": "nl", "IT": "it", "FR": "fr", "BE": "fr",
    "ES": "es", "SE": "sv", "NO": "no", "PT": "pt", "BR": "pt", "AE": "ar", "SA": "ar",
}  # fmt: skip
EDUCATION_FIELDS = (
    "health and welfare", "education", "engineering", "ict", "business and law",
    "agriculture", "natural sciences", "social sciences", "arts and humanities", "services",
)  # fmt: skip
DURATIONS = ("2-4 weeks", "1-3 months", "3-6 months", "over 6 months", "")
GENDERS = ("female", "male", "female", "male", "prefer_not_to_say", "other", "")


def _skill_vocabulary() -> dict[str, list[str]]:
    """Real skills from the demo occupations plus a long tail of synthetic ones per sector."""
    by_sector: dict[str, list[str]] = {s: [] for s in SECTORS}
    for occ in OCCUPATIONS:
        by_sector[occ["sector"]].extend(
            s for s in occ["skills"] if s not in by_sector[occ["sector"]]
        )
    for sector in SECTORS:
        by_sector[sector].extend(f"{sector.replace('_', ' ')} skill {i}" for i in range(25))
    return by_sector


def generate(n: int, *, seed: int = SEED) -> Iterator[tuple[dict[str, Any], list[str], list[str]]]:
    """Yield (profile row, skill labels, language codes) for n members, deterministically."""
    rng = random.Random(seed)
    origins, origin_w = list(ORIGINS), list(ORIGINS.values())
    residences, residence_w = list(RESIDENCES), list(RESIDENCES.values())
    sector_w = [15 if s == "health" else 8 if s in ("education", "ict", "engineering") else 3
                for s in SECTORS]  # fmt: skip
    skills_of = _skill_vocabulary()
    for i in range(1, n + 1):
        origin = rng.choices(origins, origin_w)[0]
        residence = rng.choices(residences, residence_w)[0]
        sector = rng.choices(SECTORS, sector_w)[0]
        vocab = skills_of[sector]
        # Real skills are the common ones; the synthetic tail is rarer.
        skills = list({vocab[min(int(rng.expovariate(0.25)), len(vocab) - 1)]
                       for _ in range(rng.randint(2, 5))})  # fmt: skip
        langs = ["en"] if rng.random() < 0.85 else []
        if origin in LANG_OF_ORIGIN:
            langs.append(LANG_OF_ORIGIN[origin])
        if residence in LANG_OF_RESIDENCE and rng.random() < 0.7:
            langs.append(LANG_OF_RESIDENCE[residence])
        langs = list(dict.fromkeys(langs))
        temporary, virtual, permanent = (rng.random() < 0.6, rng.random() < 0.5,
                                         rng.random() < 0.12)  # fmt: skip
        modes = [m for m, on in (("temporary", temporary), ("permanent", permanent),
                                 ("virtual", virtual)) if on]  # fmt: skip
        contribs = {c: rng.random() < p for c, p in (("investment", 0.15), ("mentoring", 0.4),
                    ("knowledge_transfer", 0.45), ("philanthropy", 0.15))}  # fmt: skip
        created = NOW - timedelta(days=rng.randint(0, 730), seconds=rng.randint(0, 86399))
        version = 1 + (created > NOW - timedelta(days=365)) + (created > NOW - timedelta(days=120))
        isco = rng.choice("1222223333456789") if rng.random() < 0.95 else ""
        erased = created + timedelta(days=30) if rng.random() < 0.01 else None
        row = {
            "id": i,
            "pseudonym": f"DM-B{i:07d}",
            "record_key": rng.randrange(256),
            "programme_id": PROGRAMME_OF.get(origin),
            "residence_country": residence,
            "residence_city": "",
            "origin_country": origin,
            "nationality": origin,
            "gender": rng.choice(GENDERS),
            "birth_year": rng.randint(1950, 2006) if rng.random() < 0.97 else None,
            "education_level": rng.choice((3, 4, 5, 6, 6, 6, 7, 7, 7, 8))
            if rng.random() < 0.98
            else None,
            "education_field": rng.choice(EDUCATION_FIELDS),
            "occupation_title": "",
            "occupation_code": isco,
            "isco_major": isco,
            "sector": sector,
            "sectors": json.dumps([sector]),
            "years_experience": min(int(rng.expovariate(0.08)), 45),
            "skills": json.dumps(skills),
            "skill_ids": "[]",
            "languages": json.dumps([{"code": c, "level": "C1"} for c in langs]),
            "modes": json.dumps(modes),
            "mode_temporary": temporary,
            "mode_permanent": permanent,
            "mode_virtual": virtual,
            "preferred_duration": rng.choice(DURATIONS) if modes else "",
            "contributions": json.dumps([c for c, on in contribs.items() if on]),
            "contrib_investment": contribs["investment"],
            "contrib_mentoring": contribs["mentoring"],
            "contrib_knowledge_transfer": contribs["knowledge_transfer"],
            "contrib_philanthropy": contribs["philanthropy"],
            "professional_associations": "",
            "priorities": "",
            "heard_about": "",
            "consent_mapping": rng.random() < 0.95,
            "consent_matching": rng.random() < 0.85,
            "survey_version_id": version,
            "created_at": created,
            "updated_at": created,
            "last_activity_at": created,
            "erased_at": erased,
            "version": 1,
        }
        yield row, skills, langs


def _reference_rows() -> dict[str, list[dict[str, Any]]]:
    """Programmes, one institution, the survey with three versions, open requests."""
    rng = random.Random(SEED + 1)
    skills_of = _skill_vocabulary()
    programmes = [
        {"id": i, "code": code, "name": code, "description": "", "countries_of_origin": "[]",
         "donor": "", "allowed_modes": "[]", "created_at": NOW}
        for i, code in enumerate(("MIDA-GH-HEALTH", "TRQN", "MIDWEB", "GUYD"), start=1)
    ]  # fmt: skip
    requests = []
    for i in range(1, 301):
        sector = rng.choice(("health",) * 4 + SECTORS)
        essential = rng.sample(skills_of[sector][:8], k=2)
        requests.append({
            "id": i, "institution_id": 1, "programme_id": rng.randint(1, 4), "title": f"Request {i}",
            "description": "", "sector": sector, "skills_essential": json.dumps(essential),
            "skills_desirable": "[]", "languages": "[]", "min_years_experience": 0,
            "mode": rng.choice(("temporary", "virtual")), "location": "", "positions": rng.randint(1, 3),
            "status": rng.choice(("approved", "approved", "approved", "filled", "closed", "draft")),
            "status_reason": "", "created_at": NOW, "updated_at": NOW, "version": 1,
        })  # fmt: skip
    return {
        "programme": programmes,
        "institution": [{"id": 1, "name": "Ministry of Health", "kind": "ministry", "country": "GH",
                         "city": "", "sector": "health", "created_at": NOW}],
        "survey": [{"id": 1, "slug": "mapping", "title": "Diaspora mapping", "created_at": NOW}],
        "survey_version": [
            {"id": v, "survey_id": 1, "number": v, "status": "published", "definition": "{}",
             "source_filename": "", "created_at": NOW, "published_at": NOW}
            for v in (1, 2, 3)
        ],
        "placement_request": requests,
    }  # fmt: skip


def _response_row(profile: dict[str, Any]) -> dict[str, Any]:
    submitted = profile["created_at"] + timedelta(hours=1)
    return {
        "id": profile["id"], "survey_id": 1, "version_id": profile["survey_version_id"],
        "member_id": profile["id"], "answers": "{}", "status": "submitted", "source": "web",
        "review_state": "received", "review_comment": "", "current_page": 0,
        "created_at": profile["created_at"], "updated_at": submitted, "submitted_at": submitted,
        "version": 1,
    }  # fmt: skip


class Loader:
    """Writes rows table by table in big batches; subclasses know the backend's fast path."""

    batch = 50_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Build indexes and statistics after the load."""


class SqliteLoader(Loader):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.raw = engine.raw_connection()
        self.raw.execute("PRAGMA synchronous=OFF")

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        values = [tuple(_sqlite_value(r[c]) for c in cols) for r in rows]
        self.raw.executemany(sql, values)
        self.raw.commit()

    def finish(self) -> None:
        self.raw.execute("PRAGMA synchronous=NORMAL")
        self.raw.commit()
        self.raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite DateTime storage format.
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


class PostgresLoader(Loader):
    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for r in rows:
                    copy.write_row([r[c] for c in cols])
            raw.commit()
        finally:
            raw.close()


def load(engine: Engine, members: int, *, log: Callable[[str], None]) -> None:
    """Create the schema without secondary indexes, bulk load, then build the indexes."""
    md = metadata()
    indexes: list[Index] = [i for t in md.sorted_tables for i in t.indexes]
    md.create_all(engine)
    with engine.begin() as conn:
        for index in indexes:
            conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
    loader: Loader = (
        SqliteLoader(engine) if engine.dialect.name == "sqlite" else PostgresLoader(engine)
    )
    for table, rows in _reference_rows().items():
        loader.write(table, rows)
    started = time.perf_counter()
    profiles: list[dict[str, Any]] = []
    skills: list[dict[str, Any]] = []
    languages: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    skill_id = language_id = 0

    def flush() -> None:
        loader.write("member_profile", profiles)
        loader.write("member_skill", skills)
        loader.write("member_language", languages)
        loader.write("response", responses)
        for batch in (profiles, skills, languages, responses):
            batch.clear()

    for row, labels, codes in generate(members):
        profiles.append(row)
        responses.append(_response_row(row))
        for label in labels:
            skill_id += 1
            skills.append(
                {"id": skill_id, "member_id": row["id"], "label": label, "concept_id": ""}
            )
        for code in codes:
            language_id += 1
            languages.append(
                {"id": language_id, "member_id": row["id"], "code": code, "level": "C1"}
            )
        if len(profiles) >= loader.batch:
            flush()
            log(f"  {row['id']:,} members loaded ({time.perf_counter() - started:.0f} s)")
    flush()
    loader.finish()
    started = time.perf_counter()
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    log(f"  indexes built in {time.perf_counter() - started:.0f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Index-only scans need the visibility map that VACUUM writes (autovacuum would).
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(
                text("SELECT setval('member_profile_id_seq', (SELECT max(id) FROM member_profile))")
            )
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    log(f"  {members:,} members, {skill_id:,} skills, {language_id:,} languages loaded")


def time_views(engine: Engine, runs: int) -> list[tuple[str, int, list[float]]]:
    """Each view: (name, members in the view, timings in ms)."""
    actor = User(id=0, email="bench@example.org", role="staff", is_active=True)
    results = []
    for name, params in VIEWS:
        timings = []
        members_in_view = 0
        for _ in range(runs):
            with new_session(engine) as session:
                started = time.perf_counter()
                view = analytics.dashboard(session=session, actor=actor, params=params)
                timings.append((time.perf_counter() - started) * 1000)
                members_in_view = int(view.members)
        results.append((name, members_in_view, timings))
    return results


def build_summary(engine: Engine, *, log: Callable[[str], None]) -> float:
    """The bulk load bypassed the ORM hooks: build the summary counts once; seconds taken."""
    started = time.perf_counter()
    with new_session(engine) as session:
        summary.rebuild(session, log=log)
    return time.perf_counter() - started


def time_refresh(engine: Engine, changed: int) -> float:
    """Seconds to bring the counts up to date after `changed` members changed."""
    with new_session(engine) as session:
        ids = list(range(1, changed * 7 + 1, 7))
        summary.enqueue(session.connection(), ids)
        session.commit()
        started = time.perf_counter()
        summary.refresh(session)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per view (median shown)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a maintenance database; a temporary database is created beside it",
    )
    parser.add_argument(
        "--sqlite-path", default="", help="keep the SQLite file here (reused if it exists)"
    )
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    table: list[tuple[str, str, int, list[float]]] = []
    upkeep: list[tuple[str, float, float, float]] = []  # backend, load s, build s, refresh s

    def run(backend: str, engine: Engine, *, fresh: bool) -> None:
        started = time.perf_counter()
        if fresh:
            load(engine, args.members, log=log)
        loaded = time.perf_counter() - started
        built = build_summary(engine, log=log) if fresh else 0.0
        log(f"{backend}: ready; timing the views")
        for view_name, n, timings in time_views(engine, args.runs):
            table.append((backend, view_name, n, timings))
        refreshed = time_refresh(engine, min(1000, args.members // 7))
        upkeep.append((backend, loaded, built, refreshed))

    for backend in args.backends.split(","):
        if backend == "sqlite":
            tmp = tempfile.TemporaryDirectory(prefix="diaspora-bench-")
            path = Path(args.sqlite_path) if args.sqlite_path else Path(tmp.name) / "bench.db"
            reuse = path.exists()
            engine = make_engine(f"sqlite:///{path}")
            log(f"SQLite: {'reusing' if reuse else 'loading'} {path}")
            try:
                run("SQLite", engine, fresh=not reuse)
            finally:
                engine.dispose()
                tmp.cleanup()
        elif backend == "postgresql":
            with temporary_database("diaspora_bench", args.pg_url) as url:
                if url is None:
                    continue
                engine = make_engine(url)
                log(f"PostgreSQL: loading the temporary database {make_url(url).database}")
                try:
                    run("PostgreSQL", engine, fresh=True)
                finally:
                    engine.dispose()
        else:
            parser.error(f"unknown backend {backend!r}; expected sqlite and/or postgresql")

    out = io.StringIO()
    out.write(
        f"\nDashboard data (every table of a view), {args.members:,} members, "
        f"median of {args.runs} runs (first run in brackets), target < 500 ms\n\n"
    )
    out.write(f"| {'backend':<10} | {'view':<28} | {'members in view':>15} | {'ms':>14} | ok  |\n")
    out.write(f"|{'-' * 12}|{'-' * 30}|{'-' * 17}|{'-' * 16}|-----|\n")
    for backend, view_name, n, timings in table:
        median = statistics.median(timings)
        cell = f"{median:,.0f} ({timings[0]:,.0f})"
        ok = "yes" if median < 500 else "NO"
        out.write(f"| {backend:<10} | {view_name:<28} | {n:>15,} | {cell:>14} | {ok:<3} |\n")
    out.write(
        "\nUpkeep (seconds): bulk load with indexes, building the summary counts from scratch,\n"
    )
    out.write("re-counting 1,000 queued (changed) members (what a dashboard view does first)\n\n")
    out.write(
        f"| {'backend':<10} | {'load':>8} | {'build summary':>13} | {'refresh 1,000':>13} |\n"
    )
    out.write(f"|{'-' * 12}|{'-' * 10}|{'-' * 15}|{'-' * 15}|\n")
    for backend, loaded, built, refreshed in upkeep:
        out.write(f"| {backend:<10} | {loaded:>8.0f} | {built:>13.0f} | {refreshed:>13.2f} |\n")
    print(out.getvalue())


if __name__ == "__main__":
    main()
