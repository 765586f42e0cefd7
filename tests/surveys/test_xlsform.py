"""XLSForm import/export: shared forms, refusals, hostile uploads and round trips."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.definition import Choice, ChoiceList, Definition, Group, Question, Settings
from surveys.xlsform import Limits, XLSFormError, export_xlsform, import_xlsform
from tests.surveys.forms import RICH, SHARED, SIMPLE, rewrite_zip, xlsform

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/xlsform is absent")

# Every shared form imports; none is refused any more.
REFUSED_SHARED: dict[str, tuple[str, ...]] = {}


def shared_forms() -> list[Path]:
    return sorted(SHARED.glob("*.xls*")) if SHARED.is_dir() else []


def invalid_forms() -> list[Path]:
    return sorted((SHARED / "invalid").glob("*.xls*")) if SHARED.is_dir() else []


@needs_shared
@pytest.mark.parametrize("path", shared_forms(), ids=lambda p: p.name)
def test_it_imports_or_precisely_refuses_every_shared_form(path: Path) -> None:
    if path.name in REFUSED_SHARED:
        with pytest.raises(XLSFormError) as caught:
            import_xlsform(path)
        text = str(caught.value)
        for feature in REFUSED_SHARED[path.name]:
            assert feature in text
        assert all(problem.sheet and problem.message for problem in caught.value.problems)
        return
    definition = import_xlsform(path)
    assert definition.children
    assert import_xlsform(export_xlsform(definition), filename="again.xlsx") == definition


@needs_shared
@pytest.mark.parametrize("path", invalid_forms(), ids=lambda p: p.name)
def test_it_refuses_every_invalid_shared_form(path: Path) -> None:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(path)
    assert str(caught.value)


@needs_shared
def test_it_names_row_column_and_reason_for_a_bad_calculation() -> None:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(SHARED / "invalid" / "bad_calc.xlsx")
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "calculation")
    assert "unterminated string" in problem.message


@needs_shared
def test_it_expands_loops_and_keeps_or_other() -> None:
    definition = import_xlsform(SHARED / "loop.xlsx")
    names = [field.question.name for field in definition.fields()]
    assert "pit_latrine_with_slab_number" in names
    assert definition.question("available_toilet_types").or_other


@needs_shared
def test_it_reads_cascading_choice_filters() -> None:
    definition = import_xlsform(SHARED / "choice_filter_test.xlsx")
    assert definition.question("county").choice_filter == "${state}=cf"
    counties = definition.choice_list("counties").choices
    assert {c.extra["cf"] for c in counties} == {"washington", "texas"}


def test_it_imports_repeats_languages_filters_and_platform_types() -> None:
    definition = import_xlsform(RICH, filename="rich.xlsx")
    assert definition.settings.languages == ("en", "fr")
    assert definition.settings.version == "3"
    assert definition.question("country").type == "country"
    assert definition.question("skills").type == "skill"
    assert definition.question("first_name").bind == "first_name"
    assert definition.question("first_name").hint == {"en": "As in your passport"}
    assert definition.question("modes").or_other
    repeat = next(group for group, _ in definition.repeats())
    assert (repeat.name, repeat.repeat_count) == ("children", "${n_children}")
    identity = definition.children[0]
    assert isinstance(identity, Group) and identity.appearance == "field-list"


def test_it_accepts_the_shorthand_platform_type_in_the_type_column() -> None:
    data = xlsform(
        [["type", "name", "label"], ["country", "home", "Home"], ["skill", "skills", "Skills"]]
    )
    definition = import_xlsform(data, filename="short.xlsx")
    assert [f.question.type for f in definition.fields()] == ["country", "skill"]


def test_it_round_trips_the_rich_form() -> None:
    definition = import_xlsform(RICH, filename="rich.xlsx")
    again = import_xlsform(export_xlsform(definition), filename="rich2.xlsx")
    assert again == definition
    assert Definition.from_dict(definition.to_dict()) == definition


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["xml-external", "ext", "", ""], "type 'xml-external' is not supported"),
        (["csv-external", "ext", "", ""], "type 'csv-external' is not supported"),
        (["select_one_from_file a.csv", "f", "F", ""], "questions are not supported"),
        (
            ["calculate", "c", "", "pulldata('a', 'b', 'c', 'd')"],
            "pulldata() reads external CSV files",
        ),
        (["calculate", "c", "", "frobnicate(1)"], "unknown function frobnicate()"),
        (["calculate", "c", "", "${missing} + 1"], "unknown field ${missing}"),
        (["wibble", "w", "W", ""], "unknown question type 'wibble'"),
    ],
)
def test_it_refuses_unsupported_features_naming_sheet_row_and_column(
    row: list[str], expected: str
) -> None:
    data = xlsform(
        [["type", "name", "label", "calculation"], ["text", "ok", "Fine", ""], row],
        [["list_name", "name", "label"], ["colours", "red", "Red"]],
    )
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data, filename="bad.xlsx")
    problem = next(p for p in caught.value.problems if expected in str(p))
    assert problem.sheet == "survey" and problem.row == 3
    assert problem.column in ("type", "calculation")


def test_it_refuses_search_appearances_and_entity_columns() -> None:
    data = xlsform(
        [
            ["type", "name", "label", "save_to", "appearance"],
            ["text", "a", "A", "thing", ""],
            ["select_one l", "b", "B", "", "search('items')"],
        ],
        [["list_name", "name", "label"], ["l", "x", "X"]],
    )
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data, filename="media.xlsx")
    text = str(caught.value)
    assert "sheet 'survey', row 2, column 'save_to': unsupported feature: entities" in text
    assert "row 3, column 'appearance'" in text and "search()" in text


@needs_shared
def test_it_keeps_media_attributes_and_device_types_of_the_spec_form() -> None:
    definition = import_xlsform(SHARED / "attribute_columns_test.xlsx")
    media = definition.question("text_image_audio_video_test")
    assert media.media == {
        "image": {"en": "img_test_2.jpg"},
        "audio": {"en": "audio_test.wav", "zh": "chinese_audio.wav"},
        "video": {"en": "test.mov"},
    }
    assert media.attributes == {"autoplay": "audio"}
    assert definition.question("my_name").attributes == {"rows": "12"}
    date = definition.question("date_test").attributes
    assert date["bind::bindAttribute"] == "test" and date["body::bodyAttribute2"] == "test"
    assert date["instance::testAttribute"] == "test"
    launch = definition.question("launch")
    assert launch.appearance.startswith("ex:") and "buttonText" in launch.attributes
    types = {f.question.name: f.question.type for f in definition.fields()}
    assert types["geopoint_test"] == "geopoint" and types["acknowledge_test"] == "acknowledge"
    assert types["uri_deviceid"] == "uri:deviceid" and types["simserial"] == "simserial"
    assert "public_key" in definition.settings.extra
    assert "submission_url" in definition.settings.extra
    assert any(c.media for cl in definition.choices for c in cl.choices)


def test_it_round_trips_media_attributes_and_new_types() -> None:
    data = xlsform(
        [
            [
                "type",
                "name",
                "label::English (en)",
                "label::French (fr)",
                "image",
                "media::audio::French (fr)",
                "big-image::English (en)",
                "bind::custom",
                "body::x",
                "instance::y",
                "rows",
                "parameters",
            ],
            ["geotrace", "path", "Path", "Chemin", "p.png", "p.mp3", "", "1", "", "", "", ""],
            ["text", "t", "T", "T", "t.png", "", "big.png", "", "b", "i", "4", ""],
            ["range", "r", "R", "R", "", "", "", "", "", "", "", "start=0 end=10 step=2"],
            ["rank colours", "rk", "Rank", "Rang", "", "", "", "", "", "", "", ""],
            ["trigger", "ok", "OK?", "OK ?", "", "", "", "", "", "", "", ""],
            ["file", "doc", "Doc", "Doc", "", "", "", "", "", "", "", ""],
            ["hidden", "h", "", "", "", "", "", "", "", "", "", ""],
            ["username", "user", "", "", "", "", "", "", "", "", "", ""],
        ],
        [["list_name", "name", "label", "image::French (fr)"], ["colours", "red", "Red", "r.png"]],
        [["form_id", "public_key", "style", "instance_name"], ["f", "KEY", "pages", "x"]],
    )
    definition = import_xlsform(data, filename="media.xlsx")
    path = definition.question("path")
    assert path.media == {"image": {"en": "p.png"}, "audio": {"fr": "p.mp3"}}
    assert path.attributes == {"bind::custom": "1"}
    assert definition.question("t").media == {
        "image": {"en": "t.png"},
        "big-image": {"en": "big.png"},
    }
    assert definition.question("t").attributes == {"body::x": "b", "instance::y": "i", "rows": "4"}
    assert definition.question("r").parameters == {"start": "0", "end": "10", "step": "2"}
    assert definition.question("rk").type == "rank"
    assert definition.question("ok").type == "acknowledge"
    assert definition.choice_list("colours").choices[0].media == {"image": {"fr": "r.png"}}
    assert definition.settings.extra == {
        "public_key": "KEY",
        "style": "pages",
        "instance_name": "x",
    }
    assert import_xlsform(export_xlsform(definition), filename="again.xlsx") == definition


def test_it_refuses_structural_mistakes_with_every_problem_listed() -> None:
    data = xlsform(
        [
            ["type", "name", "label"],
            ["begin group", "g", "G"],
            ["text", "a", "A"],
            ["text", "a", "Again"],
            ["select_one nowhere", "s", "S"],
            ["end repeat"],
        ]
    )
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data, filename="broken.xlsx")
    text = str(caught.value)
    assert "choice list 'nowhere' is not on the choices sheet" in text
    assert "end repeat closes begin group 'g'" in text


def test_it_refuses_an_unknown_binding_target() -> None:
    data = xlsform([["type", "name", "label", "bind::diaspora"], ["text", "a", "A", "shoe_size"]])
    with pytest.raises(XLSFormError, match="'shoe_size' is not a profile field"):
        import_xlsform(data, filename="bind.xlsx")


# --------------------------------------------------------------------------- hostile files


def refused(data: bytes, filename: str = "form.xlsx", limits: Limits | None = None) -> str:
    started = time.perf_counter()
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data, filename=filename, limits=limits)
    assert time.perf_counter() - started < 2.0
    return str(caught.value)


def test_it_refuses_files_that_are_not_workbooks() -> None:
    assert "not an Excel workbook" in refused(b"name,age\nAda,36\n", "form.xlsx")
    assert "not an Excel workbook" in refused(b"\x00" * 100, "form.xls")


def test_it_refuses_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "no xl/workbook.xml" in refused(buffer.getvalue())


def test_it_refuses_content_that_contradicts_the_extension() -> None:
    assert "name says .xls" in refused(SIMPLE, "form.xls")


def test_it_refuses_macro_workbooks() -> None:
    assert "macro" in refused(SIMPLE, "form.xlsm")
    with_vba = rewrite_zip(SIMPLE, {}, {"xl/vbaProject.bin": b"\x00" * 64})
    assert "vbaProject.bin" in refused(with_vba)
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "_VBA_PROJECT_CUR".encode("utf-16-le")
    )
    assert "macros" in refused(ole, "form.xls")


def test_it_refuses_oversized_files() -> None:
    assert "more than the 1,000 allowed" in refused(SIMPLE, limits=Limits(max_bytes=1000))
    assert "allowed" in refused(b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024 + 1))


def test_it_refuses_zip_bombs_before_opening_them() -> None:
    bomb = rewrite_zip(SIMPLE, {}, {"xl/media/padding.bin": b"\x00" * (60 * 1024 * 1024)})
    assert "zip bomb" in refused(bomb)
    ratio_bomb = rewrite_zip(SIMPLE, {}, {"xl/media/padding.bin": b"\x00" * (5 * 1024 * 1024)})
    assert "expands" in refused(ratio_bomb)


def test_it_refuses_broken_or_entity_laden_xml() -> None:
    broken = rewrite_zip(SIMPLE, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"})
    assert "not well-formed XML" in refused(broken)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<sst>&lol2;</sst>"
    )
    entity = rewrite_zip(SIMPLE, {}, {"xl/sharedStrings.xml": laughs})
    assert "forbidden XML" in refused(entity)


def _phantom(sheet_xml: bytes) -> bytes:
    return rewrite_zip(SIMPLE, {"xl/worksheets/sheet1.xml": sheet_xml})


def test_it_refuses_a_sheet_claiming_a_million_rows_fast() -> None:
    with zipfile.ZipFile(io.BytesIO(SIMPLE)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    claimed = re.sub(rb'<dimension ref="[A-Z0-9:]+" ?/>', b'<dimension ref="A1:E1048576"/>', sheet)
    assert claimed != sheet
    assert "1,048,576 rows" in refused(_phantom(claimed))


def test_it_refuses_a_million_phantom_row_elements_fast() -> None:
    with zipfile.ZipFile(io.BytesIO(SIMPLE)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    rows = b"".join(b'<row r="%d"/>' % n for n in range(4, 1_048_577))
    phantom = re.sub(rb'<dimension ref="[A-Z0-9:]+" ?/>', b"", sheet).replace(
        b"</sheetData>", rows + b"</sheetData>"
    )
    assert "more than 20,000 rows" in refused(_phantom(phantom))


def test_it_still_imports_a_form_with_a_few_empty_rows() -> None:
    data = xlsform([["type", "name", "label"], ["text", "a", "A"], [], [], ["text", "b", "B"]])
    assert [f.question.name for f in import_xlsform(data, filename="gaps.xlsx").fields()] == [
        "a",
        "b",
    ]


# --------------------------------------------------------------------------- round trip property

_names = st.from_regex(r"q_[a-z][a-z0-9_]{0,6}", fullmatch=True)
_text = (
    st.text(
        st.characters(whitelist_categories=("L", "N"), whitelist_characters=" =+-?'"),
        min_size=1,
        max_size=12,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
_labels = st.fixed_dictionaries({"en": _text}, optional={"fr": _text})


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    names = draw(st.lists(_names, min_size=1, max_size=6, unique=True))
    colours = ChoiceList(
        name="colours",
        choices=(
            Choice(name="red", label={"en": "Red"}),
            Choice(name="blue", label={"en": "Blue", "fr": "Bleu"}),
        ),
    )
    questions = []
    for name in names:
        qtype = draw(
            st.sampled_from(
                [
                    "text",
                    "integer",
                    "decimal",
                    "date",
                    "select_one",
                    "select_multiple",
                    "country",
                    "skill",
                    "note",
                ]
            )
        )
        questions.append(
            Question(
                name=name,
                type=qtype,
                list_name="colours" if qtype.startswith("select") else None,
                or_other=qtype == "select_multiple" and draw(st.booleans()),
                label=draw(_labels),
                hint=draw(st.one_of(st.just({}), _labels)),
                required="true()" if qtype != "note" and draw(st.booleans()) else "",
                relevant=draw(st.sampled_from(["", f"${{{names[0]}}} != ''"]))
                if name != names[0]
                else "",
                appearance=draw(st.sampled_from(["", "multiline"])) if qtype == "text" else "",
            )
        )
    children: tuple[Question | Group, ...] = tuple(questions)
    if len(questions) > 2 and draw(st.booleans()):
        kind = draw(st.sampled_from(["group", "repeat"]))
        children = (
            questions[0],
            Group(kind=kind, name="g_block", label={"en": "Block"}, children=tuple(questions[1:])),
        )
    settings_ = Settings(
        form_id="prop", version="1", title="Prop", default_language="en", languages=("en", "fr")
    )
    return Definition(settings=settings_, children=children, choices=(colours,))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_it_round_trips_generated_definitions(definition: Definition) -> None:
    assert import_xlsform(export_xlsform(definition), filename="gen.xlsx") == definition


def test_language_names_and_bare_codes_become_iso_639_codes() -> None:
    from surveys.definition import normalise_language

    # "en" is also the exact *name* of another language (En, code enc): a code wins.
    assert normalise_language("en") == "en"
    assert normalise_language("EN") == "en"
    assert normalise_language("fra") == "fr"
    assert normalise_language("English") == "en"
    assert normalise_language("French (fr)") == "fr"
    assert normalise_language("Kiswahili") == "Kiswahili"  # unknown names kept as given
    data = xlsform(
        [["type", "name", "label"], ["text", "a", "A"]],
        settings=[["form_id", "default_language"], ["f", "en"]],
    )
    definition = import_xlsform(data, filename="f.xlsx")
    assert definition.settings.default_language == "en"
    assert definition.settings.languages == ("en",)
