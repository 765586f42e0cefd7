"""Time importing a Kobo CSV export of the built-in survey, end to end.

Generates N rows (default 100,000) of plausible answers with Kobo's headers
(`group/question`, `;` separated, select_multiple space-separated, `_uuid`,
`_submission_time`, 1 % bad rows), then times (1) parsing + validating alone
(`surveys.submissions.iter_csv`), and (2) the whole import through
`diaspora.responses.imports.import_file` — what `diaspora survey import-submissions`
runs — into a fresh SQLite file and a temporary PostgreSQL database: every row creates
a member profile, identity, skills, languages, consents, a response and audit events.
Each import is run twice: the second must add nothing. Target: < 30 s for 100,000 rows.

    .venv/bin/python bench/submissions_import.py [--rows 100000] [--bad 0.01]
    .venv/bin/python bench/submissions_import.py --rows 20000 --only sqlite
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _pgtemp import temporary_database  # noqa: E402  (bench/ is the script's folder)

from surveys.submissions import ParsedSubmission, iter_csv  # noqa: E402
from surveys.xlsform import import_xlsform  # noqa: E402

SURVEY = ROOT / "sample_data" / "survey" / "diaspora_mapping.xlsx"
COUNTRIES = ["GB", "US", "CA", "FR", "NL", "DE", "AE", "ZA", "BR", "JP"]
ORIGINS = ["GY", "GH", "SN", "ET", "BA", "RS", "MK", "NG"]
SKILLS = [
    "surgical nursing",
    "triage",
    "GIS mapping",
    "civil engineering",
    "teaching",
    "accounting",
    "python programming",
    "project management",
    "midwifery",
    "agronomy",
]

HEADERS = [
    "start",
    "end",
    "consent/consent_mapping",
    "consent/consent_matching",
    "consent/consent_contact",
    "consent/consent_share",
    "consent/consent_research",
    "contact/first_name",
    "contact/last_name",
    "contact/email",
    "contact/phone",
    "about/residence_country",
    "about/residence_city",
    "about/origin_country",
    "about/nationality",
    "about/gender",
    "about/birth_year",
    "education/education_level",
    "education/education_field",
    "work/occupation",
    "work/sector",
    "work/years_experience",
    "work/skills",
    "work/professional_associations",
    "contribution/willing",
    "contribution/modes",
    "contribution/preferred_duration",
    "contribution/available_from",
    "contribution/available_to",
    "contribution/contributions",
    "contribution/investment_sectors",
    "contribution/investment_size",
    "expectations/priorities",
    "expectations/expectations_text",
    "expectations/heard_about",
    "expectations/heard_about_other",
    "expectations/profile_complete",
    "meta/instanceID",
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_index",
]


def fake_row(rng: random.Random, index: int, bad: bool) -> list[str]:
    """One plausible Kobo row; `bad` rows break a constraint or a type."""
    ident = str(uuid.UUID(int=rng.getrandbits(128)))
    birth = rng.randint(1950, 2000)
    willing = rng.random() < 0.7
    modes = rng.sample(["temporary", "permanent", "virtual"], rng.randint(1, 2)) if willing else []
    contributions = rng.sample(
        ["investment", "mentoring", "knowledge_transfer", "philanthropy"], rng.randint(0, 2)
    )
    investing = "investment" in contributions
    level = str(rng.randint(3, 8))
    row = {
        "start": "2025-03-01T10:00:00.000+00:00",
        "end": "2025-03-01T10:14:00.000+00:00",
        "consent/consent_mapping": "yes",
        "consent/consent_matching": rng.choice(["yes", "no"]),
        "consent/consent_contact": rng.choice(["yes", "no"]),
        "consent/consent_share": "yes",
        "consent/consent_research": "no",
        "contact/first_name": f"Member{index}",
        "contact/last_name": "Example",
        "contact/email": f"member{index}@example.org",
        "contact/phone": "+44 20 7946 0000",
        "about/residence_country": rng.choice(COUNTRIES),
        "about/residence_city": "London",
        "about/origin_country": rng.choice(ORIGINS),
        "about/nationality": rng.choice(ORIGINS),
        "about/gender": rng.choice(["female", "male"]),
        "about/birth_year": str(birth),
        "education/education_level": level,
        "education/education_field": rng.choice(["health_welfare", "engineering", "ict"]),
        "work/occupation": "Nurse",
        "work/sector": rng.choice(["health", "ict", "education"]),
        "work/years_experience": str(rng.randint(0, min(20, 2025 - birth - 14))),
        "work/skills": "; ".join(rng.sample(SKILLS, 3)),
        "contribution/willing": "yes" if willing else "no",
        "contribution/modes": " ".join(modes),
        "contribution/preferred_duration": "months_1_3"
        if willing and ("temporary" in modes or "virtual" in modes)
        else "",
        "contribution/available_from": "2025-06-01" if willing else "",
        "contribution/available_to": "2025-12-31" if willing else "",
        "contribution/contributions": " ".join(contributions),
        "contribution/investment_sectors": "health ict" if investing else "",
        "contribution/investment_size": "under_10k" if investing else "",
        "expectations/priorities": "health education",
        "expectations/heard_about": "embassy",
        "expectations/profile_complete": "yes",
        "meta/instanceID": f"uuid:{ident}",
        "_id": str(index),
        "_uuid": ident,
        "_submission_time": "2025-03-01T10:15:00",
        "_index": str(index),
    }
    if bad:
        row["about/birth_year"] = rng.choice(["1850", "nineteen", ""])
    return [row.get(header, "") for header in HEADERS]


def make_csv(rows: int, bad_share: float, seed: int = 7) -> str:
    """A Kobo-style CSV export (semicolon separated) with `rows` data rows."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADERS)
    for index in range(rows):
        writer.writerow(fake_row(rng, index, rng.random() < bad_share))
    return buffer.getvalue()


def parse_only(data: str, rows: int) -> None:
    """Parse + validate only (no database): the engine's share of an import."""
    definition = import_xlsform(SURVEY)
    started = time.perf_counter()
    good = errors = 0
    for item in iter_csv(definition, data):
        if isinstance(item, ParsedSubmission):
            good += 1
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    print(
        f"parse + validate only: {rows:,} rows in {elapsed:.1f} s "
        f"({rows / elapsed:,.0f} rows/s): {good:,} kept, {errors:,} row errors"
    )


def import_into(name: str, url: str, data: bytes, rows: int) -> bool:
    """Migrate `url`, publish the built-in survey, import twice through the service
    `diaspora survey import-submissions` runs; print times and check the counts."""
    from sqlalchemy import func, select

    from diaspora.analytics.summary import refresh
    from diaspora.db import make_engine, metadata, session_scope
    from diaspora.members.models import MemberProfile
    from diaspora.migrate import upgrade
    from diaspora.responses.imports import import_file
    from diaspora.responses.models import Response
    from diaspora.responses.service import import_builtin

    engine = make_engine(url)
    upgrade(engine)
    metadata().create_all(engine)
    with session_scope(engine) as session:
        import_builtin(session=session)
    ok = True
    for attempt in ("first", "again"):
        started = time.perf_counter()
        with session_scope(engine) as session:
            report = import_file(
                session=session,
                actor=None,
                slug="diaspora_mapping",
                data=data,
                filename="export.csv",
                parallel=True,  # as `diaspora survey import-submissions` does
            )
        elapsed = time.perf_counter() - started
        print(
            f"{name:<11} import {attempt}: {rows:,} rows in {elapsed:5.1f} s "
            f"({rows / elapsed:7,.0f} rows/s): added {report.added:,}, "
            f"already present {report.duplicates:,}, bad rows {report.bad_rows:,}"
            + (
                f"  target < 30 s: {'met' if elapsed < 30 else 'MISSED'}"
                if attempt == "first"
                else ""
            )
        )
        if attempt == "first":
            added = report.added
            ok = ok and report.added + report.bad_rows == rows
        else:
            ok = ok and report.added == 0 and report.duplicates == added
    started = time.perf_counter()
    with session_scope(engine) as session:
        refreshed = refresh(session)
    print(
        f"{name:<11} dashboard counts brought up to date ({refreshed:,} queued members) "
        f"in {time.perf_counter() - started:.1f} s (what the CLI does next)"
    )
    with session_scope(engine) as session:
        responses = session.execute(select(func.count()).select_from(Response)).scalar_one()
        members = session.execute(select(func.count()).select_from(MemberProfile)).scalar_one()
    consistent = responses == added and members == added
    print(
        f"{name:<11} stored: {responses:,} responses, {members:,} member profiles "
        f"({'consistent' if consistent else 'INCONSISTENT'})"
    )
    engine.dispose()
    return ok and consistent


def main() -> None:
    """Generate an export, then parse it alone and import it into SQLite and PostgreSQL."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad", type=float, default=0.01, help="share of rows with an error")
    parser.add_argument(
        "--only", choices=["parse", "sqlite", "postgresql"], help="run one part only"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    text_data = make_csv(args.rows, args.bad)
    data = text_data.encode()
    print(
        f"generated {args.rows:,} rows ({len(data) / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    results: list[bool | None] = []
    if args.only in (None, "parse"):
        parse_only(text_data, args.rows)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(import_into("SQLite", f"sqlite:///{tmp}/import.db", data, args.rows))
    if args.only in (None, "postgresql"):
        with temporary_database("diaspora_import") as url:
            results.append(None if url is None else import_into("PostgreSQL", url, data, args.rows))
    if any(result is False for result in results):
        print("FAILED: counts do not add up")
        sys.exit(1)


if __name__ == "__main__":
    main()
