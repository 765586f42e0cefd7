"""The dashboard pages, exports and API, as each kind of user sees them."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from html.parser import HTMLParser

from openpyxl import load_workbook
from sqlmodel import Session, select

from diaspora.audit.models import AuditEvent
from tests.diaspora.test_analytics import build
from tests.factories import make_member


class _Tables(HTMLParser):
    """Rows (cell texts) of every `<section id="t-...">` table on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and (a.get("id") or "").startswith("t-"):
            self._key = (a["id"] or "")[2:]
            self.tables[self._key] = []
        elif tag == "tr" and self._key:
            self._row = []
        elif tag in ("td", "th") and self._row is not None and "bar" not in (a.get("class") or ""):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._key:
            self.tables[self._key].append(self._row)
            self._row = None
        elif tag == "section":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _shown(cell: str) -> str:
    """A CSV cell as the page prints it (thousands separators, one decimal)."""
    if re.fullmatch(r"-?\d+", cell):
        return f"{int(cell):,}"
    if re.fullmatch(r"-?\d+\.\d+", cell):
        return f"{float(cell):.1f}"
    return cell


def _number(cell: str) -> int | float | str | None:
    """A page cell as the workbook holds it."""
    if not cell:
        return None
    for kind in (int, float):
        try:
            return kind(cell.replace(",", ""))
        except ValueError:
            pass
    return cell


def test_it_shows_staff_the_exact_dashboard(session: Session, as_user) -> None:
    data = build(session)
    response = as_user(data.staff).get("/dashboard")
    assert response.status_code == 200
    html = response.text
    assert "Members in this view: 10" in html
    assert '<th scope="col" class="num">Members</th>' in html
    assert (
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="h-residence">' in html
    )
    tables = page_tables(html)
    assert ["Germany", "DE", "", "3", "30.0"] in tables["residence"]
    assert ["Male", "4", "40.0"] in tables["gender"]
    assert ["Kosovo", "XK", "Not drawn on the map", "1", "10.0"] in tables["residence"]
    # The map: inline SVG, a <title> per country with its count, no script, nothing external.
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" id="chart-')
    svg = html[start : html.index("</figure>", start)]
    assert "<title>Netherlands: 6</title>" in svg and 'href="#map-row-NL"' in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert 'viewBox="0 0 1000 620"' in svg
    assert 'id="map-row-NL"' in html
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_it_perturbs_counts_for_institution_users(session: Session, as_user) -> None:
    """Institution users see counts changed by the cell-key method (issue 11): Germany (3)
    and Kosovo (1) are never shown as such, only as 5 or not at all."""
    data = build(session)
    html = as_user(data.institution_user).get("/dashboard").text
    tables = page_tables(html)
    rows = {row[0]: row for row in tables["residence"][1:]}
    for country in ("Germany", "Kosovo"):
        assert country not in rows or rows[country][3] == "5"
    assert "< 5" not in tables["gender"] and "x" not in [r[1] for r in tables["gender"]]
    assert "counts changed slightly to protect the people counted" in html
    assert "by at most 2, and counts from 1 to 4 are shown as 0 or 5" in unescape(html)


def test_a_tiny_view_shows_only_a_message(session: Session, as_user) -> None:
    data = build(session)
    client = as_user(data.institution_user)
    html = unescape(client.get("/dashboard?origin=XK").text)
    assert "Fewer than 5 people match these filters; widen the filters." in html
    assert page_tables(html) == {} and 'id="t-' not in html and "<svg" not in html
    assert "Not drawn on the map" not in html and "Male" not in html
    report = unescape(client.get("/dashboard/report?origin=XK").text)
    assert "Fewer than 5 people match" in report and page_tables(report) == {}
    body = client.get("/api/v1/analytics/dashboard?origin=XK").json()
    assert body["tables"] == {} and body["members"] == "< 5"
    assert body["message"] == "Fewer than 5 people match these filters; widen the filters."
    assert csv_rows(client.get("/dashboard/export/residence.csv?origin=XK").content) == [
        ["Message"],
        ["Fewer than 5 people match these filters; widen the filters."],
    ]
    book = load_workbook(io.BytesIO(client.get("/dashboard/export/all.xlsx?origin=XK").content))
    assert book.sheetnames == ["message"]


def test_it_refuses_members(session: Session, as_user) -> None:
    data = build(session)
    assert as_user(data.member).get("/dashboard").status_code == 403
    assert as_user(data.member).get("/api/v1/analytics/dashboard").status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(session: Session, as_user) -> None:
    response = as_user(None).get("/dashboard?origin=GH", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/dashboard")


def test_it_says_which_filters_to_change(session: Session, as_user) -> None:
    data = build(session)
    response = as_user(data.staff).get("/dashboard?origin=ZZ&version=two&sector=mining")
    assert response.status_code == 422
    html = unescape(response.text)
    assert "Some filters are not valid, so nothing is shown" in html
    assert "'ZZ' is not a country code" in html
    assert "'two' is not a survey version number" in html
    assert "'mining' is not a sector" in html
    assert 'value="ZZ"' in html and 'aria-invalid="true"' in html
    assert "Members in this view" not in html
    api = as_user(data.staff).get("/api/v1/analytics/dashboard?origin=ZZ")
    assert api.status_code == 422
    assert "two-letter ISO 3166 code" in api.json()["errors"]["origin"]


def test_it_says_what_to_change_when_nothing_matches(session: Session, as_user) -> None:
    data = build(session)
    html = unescape(as_user(data.staff).get("/dashboard?skill=underwater+basket+weaving").text)
    assert "Nothing to show" in html
    assert "lists the skill 'underwater basket weaving'" in html
    assert 'id="t-residence"' not in html


def test_it_exports_the_numbers_on_the_page(session: Session, as_user) -> None:
    data = build(session)
    client = as_user(data.institution_user)
    tables = page_tables(client.get("/dashboard?origin=GH").text)
    for key in ("residence", "gender", "languages", "willingness", "supply_skills", "responses"):
        response = client.get(f"/dashboard/export/{key}.csv?origin=GH")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        header, *rows = csv_rows(response.content)
        assert [[_shown(c) for c in row] for row in rows] == tables[key][1:], key
    workbook = load_workbook(
        io.BytesIO(client.get("/dashboard/export/gender.xlsx?origin=GH").content)
    )
    sheet = workbook.worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()][1:] == [
        [_number(c) for c in row] for row in tables["gender"][1:]
    ]


def test_it_exports_every_table_in_one_workbook(session: Session, as_user) -> None:
    data = build(session)
    response = as_user(data.staff).get("/dashboard/export/all.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:3] == ["residence", "age", "gender"]
    assert len(workbook.sheetnames) == 18
    assert as_user(data.staff).get("/dashboard/export/all.csv").status_code == 404


def test_it_neutralises_formulas_in_exports(session: Session, as_user) -> None:
    data = build(session)
    make_member(session, "mallory@example.org", skills=['=HYPERLINK("http://x")', "+1"])
    response = as_user(data.staff).get("/dashboard/export/skills.csv")
    cells = [row[0] for row in csv_rows(response.content)]
    assert '\'=hyperlink("http://x")' in cells and "'+1" in cells
    workbook = load_workbook(
        io.BytesIO(as_user(data.staff).get("/dashboard/export/skills.xlsx").content)
    )
    values = [row[0].value for row in workbook.worksheets[0].iter_rows()]
    assert '\'=hyperlink("http://x")' in values


def test_it_audits_every_export(session: Session, as_user) -> None:
    data = build(session)
    as_user(data.institution_user).get("/dashboard/export/residence.csv?sector=health")
    as_user(data.staff).get("/api/v1/analytics/export/age.xlsx")
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "analytics.export")).all()
    assert [(e.actor_id, e.entity_id, e.details["format"]) for e in events] == [
        (data.institution_user.id, "residence", "csv"), (data.staff.id, "age", "xlsx"),
    ]  # fmt: skip
    assert events[0].details["filters"] == {"sector": "health"}
    # Looking at the dashboard is not audited: it shows aggregates only.
    as_user(data.staff).get("/dashboard")
    assert (
        len(session.exec(select(AuditEvent).where(AuditEvent.action == "analytics.export")).all())
        == 2
    )


def test_it_serves_the_same_tables_as_json(session: Session, as_user) -> None:
    data = build(session)
    body = as_user(data.institution_user).get("/api/v1/analytics/dashboard?origin=GH").json()
    assert body["suppressed"] is True and body["members"] in range(7, 12)
    assert body["suppression"]["method"] == "cell-key"
    assert body["filters"] == {"origin": "GH"}
    gender = body["tables"]["gender"]
    assert [c["key"] for c in gender["columns"]] == ["category", "members", "share"]
    # Female 6 and male 3 exactly for staff; perturbed (male as 5 or left out) otherwise.
    shown = {row[0]: row[1] for row in gender["rows"]}
    assert shown["Female"] in range(5, 9) and shown.get("Male", 5) == 5
    exact = as_user(data.staff).get("/api/v1/analytics/dashboard?origin=GH").json()
    assert exact["suppressed"] is False and exact["tables"]["gender"]["rows"] == [
        ["Female", 6, 66.7], ["Male", 3, 33.3],
    ]  # fmt: skip


def test_it_prints_a_report(session: Session, as_user) -> None:
    data = build(session)
    client = as_user(data.staff)
    html = unescape(client.get("/dashboard/report?origin=GH").text)
    assert "Diaspora mapping report — Ghana (GH)" in html
    assert 'href="/static/print.css" media="print"' in html and "/static/dashboard.css" in html
    assert "<details" not in html and "Download" not in html
    assert "Members counted" in html
    programme = unescape(client.get("/dashboard/report?programme=MIDA-GH").text)
    assert "Diaspora mapping report — MIDA-GH" in programme
    assert client.get("/dashboard/report?programme=NOPE").status_code == 422


def test_it_compares_two_survey_rounds_on_the_page(session: Session, as_user) -> None:
    data = build(session)
    client = as_user(data.staff)
    html = client.get(f"/dashboard?round_a={data.v1.id}&round_b={data.v2.id}").text
    rows = page_tables(html)["comparison"]
    assert ["Women", "6", "100.0", "0", "0.0", "-100.0"] in rows
    assert "To compare two survey rounds" in client.get("/dashboard").text


def test_it_translates_tables_in_the_language_of_each_request(session: Session, as_user) -> None:
    """The table macros translate with the current request's catalogue, not with the one of
    the first page the process rendered (an imported macro module is cached without context)."""
    data = build(session)
    client = as_user(data.institution_user)
    assert "Where the diaspora lives" in client.get("/dashboard?lang=en").text
    arabic = unescape(client.get("/dashboard?lang=ar").text)
    assert "أين يعيش المغتربون" in arabic and "Where the diaspora lives" not in arabic
    tiny = unescape(client.get("/dashboard?origin=XK&lang=ar").text)
    assert "Fewer than 5 people match" not in tiny
    assert "Where the diaspora lives" in client.get("/dashboard?lang=en").text


def test_filter_errors_are_translated_and_keep_what_was_typed_escaped(
    session: Session, as_user
) -> None:
    data = build(session)
    client = as_user(data.institution_user)
    r = client.get("/dashboard", params={"origin": "Q9", "lang": "ar"})
    assert r.status_code == 422
    assert "«Q9» ليس رمز بلد؛ استخدم رمز ISO 3166" in unescape(r.text)
    r = client.get("/dashboard", params={"skill": "<i>zz</i>", "lang": "ar"})
    assert r.status_code == 422
    text = unescape(r.text)
    assert "«<i>zz</i>» ليست من المهارات التي تعرضها لوحة المعلومات" in text
    assert "مهارات ذكرها 5 أعضاء على الأقل" in text
    assert "<i>zz</i>" not in r.text  # escaped in the page
