"""Programmes and institutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.errors import NotFound, ValidationFailed
from diaspora.institutions.models import Institution, InstitutionKind, Programme
from diaspora.vocab import MODES, SECTORS, is_country


def get_all_institutions(*, session: Session) -> Sequence[Institution]:
    return session.exec(select(Institution).order_by(col(Institution.name))).all()


def get_institution(*, session: Session, institution_id: int) -> Institution:
    inst = session.get(Institution, institution_id)
    if inst is None:
        raise NotFound("No such institution.")
    return inst


def get_all_programmes(*, session: Session) -> Sequence[Programme]:
    return session.exec(select(Programme).order_by(col(Programme.code))).all()


def get_programme(*, session: Session, programme_id: int) -> Programme:
    prog = session.get(Programme, programme_id)
    if prog is None:
        raise NotFound("No such programme.")
    return prog


def create_institution(
    *, session: Session, actor: User | None, data: dict[str, Any]
) -> Institution:
    if actor is not None:
        require(actor, "institution.manage")
    errors: dict[str, str] = {}
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = "required"
    kind = str(data.get("kind", "ministry"))
    if kind not in {k.value for k in InstitutionKind}:
        errors["kind"] = "expected one of " + ", ".join(k.value for k in InstitutionKind)
    country = str(data.get("country", "")).strip().upper()
    if not is_country(country):
        errors["country"] = "expected an ISO 3166 two-letter country code such as GH"
    sector = str(data.get("sector", "")).strip()
    if sector and sector not in SECTORS:
        errors["sector"] = "expected one of " + ", ".join(SECTORS)
    if errors:
        raise ValidationFailed(errors)
    inst = Institution(
        name=name[:200],
        kind=kind,
        country=country,
        sector=sector,
        city=str(data.get("city", "")).strip()[:100],
    )
    session.add(inst)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="institution.create",
        entity="institution",
        entity_id=inst.id,
    )
    session.commit()
    return inst


def create_programme(*, session: Session, actor: User | None, data: dict[str, Any]) -> Programme:
    if actor is not None:
        require(actor, "programme.manage")
    errors: dict[str, str] = {}
    code = str(data.get("code", "")).strip()
    if not code:
        errors["code"] = "required"
    elif session.exec(select(Programme).where(Programme.code == code)).first():
        errors["code"] = "a programme with this code exists"
    countries = [c.strip().upper() for c in data.get("countries_of_origin", []) if c.strip()]
    if bad := [c for c in countries if not is_country(c)]:
        errors["countries_of_origin"] = f"unknown country code {bad[0]!r}"
    modes = data.get("allowed_modes") or list(MODES)
    if bad := [m for m in modes if m not in MODES]:
        errors["allowed_modes"] = f"unknown mode {bad[0]!r}"
    if errors:
        raise ValidationFailed(errors)
    prog = Programme(
        code=code,
        name=str(data.get("name") or code)[:200],
        description=str(data.get("description", "")),
        countries_of_origin=countries,
        donor=str(data.get("donor", ""))[:200],
        allowed_modes=modes,
        starts_on=data.get("starts_on"),
        ends_on=data.get("ends_on"),
    )
    session.add(prog)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="programme.create",
        entity="programme",
        entity_id=prog.id,
    )
    session.commit()
    return prog
