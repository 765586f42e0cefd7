"""Time parsing + validating a Kobo CSV export of the built-in survey.

Generates N rows (default 100,000) of plausible answers with Kobo's headers
(`group/question`, `;` separated, select_multiple space-separated, `_uuid`,
`_submission_time`), then runs `surveys.submissions.iter_csv` with validation on.

    .venv/bin/python bench/submissions_import.py [--rows 100000] [--bad 0.01]
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


def main() -> None:
    """Generate, parse and validate; print rows per second."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad", type=float, default=0.01, help="share of rows with an error")
    args = parser.parse_args()
    definition = import_xlsform(SURVEY)
    started = time.perf_counter()
    data = make_csv(args.rows, args.bad)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    good = errors = 0
    for item in iter_csv(definition, data):
        if isinstance(item, ParsedSubmission):
            good += 1
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    print(f"generated {args.rows:,} rows ({len(data) / 1e6:.1f} MB) in {generated:.1f} s")
    print(
        f"parsed + validated {args.rows:,} rows in {elapsed:.1f} s "
        f"({args.rows / elapsed:,.0f} rows/s): {good:,} kept, {errors:,} row errors"
    )


if __name__ == "__main__":
    main()
