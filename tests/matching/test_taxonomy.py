"""Mapping free text onto taxonomy concepts."""

from __future__ import annotations

import pytest

from matching import Concept, Taxonomy
from matching.text import bag_key, normalise


def ids(matches) -> list[str]:
    return [m.concept_id for m in matches]


def test_it_maps_preferred_and_alternative_labels_ignoring_case_and_punctuation(
    taxonomy: Taxonomy,
) -> None:
    assert ids(taxonomy.match("Wound Care")) == ["s:wound"]
    assert ids(taxonomy.match("treat wounds!")) == ["s:wound"]
    assert taxonomy.match("wound care")[0].score == 1.0


def test_it_tolerates_word_order(taxonomy: Taxonomy) -> None:
    found = taxonomy.match("care wound")
    assert ids(found) == ["s:wound"]
    assert found[0].score < 1.0


@pytest.mark.parametrize("typo", ["wound cre", "wuond care", "wound caare", "strucutral analysis"])
def test_it_tolerates_typos(taxonomy: Taxonomy, typo: str) -> None:
    found = taxonomy.match(typo)
    assert found, typo
    assert found[0].concept_id in {"s:wound", "s:struct"}
    assert 0.5 < found[0].score < 1.0


def test_it_maps_french_labels_with_or_without_accents(taxonomy: Taxonomy) -> None:
    assert ids(taxonomy.match("Infirmière", kind="occupation")) == ["o:nurse"]
    assert ids(taxonomy.match("infirmiere", kind="occupation")) == ["o:nurse"]
    assert ids(taxonomy.match("Sage-femme", kind="occupation")) == ["o:midwife"]


def test_it_maps_a_short_title_to_the_few_occupations_containing_it(taxonomy: Taxonomy) -> None:
    found = taxonomy.match("nurse", kind="occupation")
    assert set(ids(found)) == {"o:nurse", "o:snurse"}


def test_it_returns_nothing_for_unrelated_text(taxonomy: Taxonomy) -> None:
    assert taxonomy.match("deep sea basket weaving") == ()
    assert taxonomy.match("") == ()


def test_it_keeps_kinds_apart(taxonomy: Taxonomy) -> None:
    assert taxonomy.match("software developer", kind="skill") == ()
    assert ids(taxonomy.match("software developer", kind="occupation")) == ["o:dev"]


def test_it_resolves_codes_and_isco_groups(taxonomy: Taxonomy) -> None:
    assert taxonomy.resolve_code("o:dev") == "o:dev"
    assert taxonomy.resolve_code("2512.dev") == "o:dev"
    assert taxonomy.resolve_code("nope") is None
    assert taxonomy.isco_of("o:dev") == "2512"


def test_it_round_trips_through_json_in_both_forms(taxonomy: Taxonomy) -> None:
    for compact in (False, True):
        again = Taxonomy.from_json(taxonomy.to_json(compact=compact))
        assert again.concepts == taxonomy.concepts
        assert again.isco_labels == taxonomy.isco_labels


def test_it_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        Taxonomy([Concept("x", "hobby", {"en": ("x",)})])


def test_it_ships_a_builtin_taxonomy_with_both_kinds_and_relations() -> None:
    builtin = Taxonomy.builtin()
    kinds = {c.kind for c in builtin.concepts}
    assert kinds == {"skill", "occupation"}
    assert len(builtin) >= 300
    nurse = builtin.match("nurse responsible for general care", kind="occupation")
    concept = builtin.get(nurse[0].concept_id)
    assert concept is not None and concept.isco_group == "2221" and concept.essential_skills
    assert all(s in builtin for s in concept.essential_skills)
    assert builtin.match("infirmière", kind="occupation")
    assert builtin.match("Pyhton", kind="skill")


def test_it_normalises_and_keys_text_independent_of_order() -> None:
    assert normalise("  Ingénieur   Civil! ") == "ingenieur civil"
    assert bag_key("assessing the footcare") == bag_key("footcare assess")
