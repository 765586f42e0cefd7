"""Factory functions for tests: users of every role, institutions, profiles, sign-in."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from diaspora.accounts import service as accounts
from diaspora.accounts.models import User
from diaspora.config import Settings
from diaspora.db import new_session
from diaspora.institutions import service as institutions
from diaspora.institutions.models import Institution, Programme
from diaspora.members import service as members
from diaspora.members.models import MemberProfile
from web.security import SESSION_COOKIE

PASSWORD = "correct horse battery"


def make_institution(
    session: Session, name: str = "Ministry of Health", country: str = "GH", sector: str = "health"
) -> Institution:
    return institutions.create_institution(
        session=session, actor=None, data={"name": name, "country": country, "sector": sector}
    )


def make_programme(session: Session, code: str = "MIDA-GH", **extra: Any) -> Programme:
    return institutions.create_programme(
        session=session,
        actor=None,
        data={"code": code, "name": code, "countries_of_origin": ["GH"], **extra},
    )


def make_user(
    session: Session,
    email: str,
    role: str = "member",
    institution: Institution | None = None,
    password: str = PASSWORD,
) -> User:
    return accounts.create_user(
        session=session,
        actor=None,
        email=email,
        password=password,
        role=role,
        institution_id=institution.id if institution else None,
    )


def profile_of(session: Session, user: User) -> MemberProfile:
    return members.get_own(session=session, actor=user)


def make_member(
    session: Session, email: str, consents: dict[str, bool] | None = None, **profile: Any
) -> tuple[User, MemberProfile]:
    from diaspora.consent.service import set_consents

    user = make_user(session, email)
    prof = profile_of(session, user)
    data = {
        "residence_country": "NL",
        "origin_country": "GH",
        "occupation_title": "nurse",
        "years_experience": 5,
        "skills": ["nursing care"],
        "languages": ["en:C1"],
        "modes": ["temporary", "virtual"],
        "first_name": email.split("@")[0].title(),
        **profile,
    }
    members.update_profile(session=session, actor=user, member_id=prof.id or 0, data=data)
    set_consents(
        session=session,
        actor=user,
        member_id=prof.id or 0,
        choices=consents or {"mapping": True, "matching": True, "contact": True},
    )
    session.refresh(prof)
    return user, prof


@dataclass
class World:
    alice: User
    alice_profile: MemberProfile
    bob: User
    bob_profile: MemberProfile
    carol: User  # institution A
    dave: User  # institution B
    sam: User  # staff
    ada: User  # admin
    inst_a: Institution
    inst_b: Institution
    programme: Programme

    def users(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "alice": self.alice,
            "bob": self.bob,
            "carol": self.carol,
            "dave": self.dave,
            "sam": self.sam,
            "ada": self.ada,
        }


def build_world(session: Session) -> World:
    inst_a = make_institution(session, "Ministry of Health", "GH")
    inst_b = make_institution(session, "Revizor Accounting", "ME", "finance")
    programme = make_programme(session)
    alice, alice_profile = make_member(session, "alice@example.org")
    bob, bob_profile = make_member(session, "bob@example.org", residence_country="DE")
    return World(
        alice=alice,
        alice_profile=alice_profile,
        bob=bob,
        bob_profile=bob_profile,
        carol=make_user(session, "carol@example.org", "institution", inst_a),
        dave=make_user(session, "dave@example.org", "institution", inst_b),
        sam=make_user(session, "sam@example.org", "staff"),
        ada=make_user(session, "ada@example.org", "admin"),
        inst_a=inst_a,
        inst_b=inst_b,
        programme=programme,
    )


def sign_in(app: Any, client: TestClient, user: User) -> None:
    """Open a server-side session for `user` and give the client its cookie."""
    with new_session(app.state.engine) as s:
        token = accounts.start_session(session=s, user=s.get(User, user.id))  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token the pages give this client."""
    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


@dataclass
class Mail:
    """A message as its addressee receives it (secret links rendered)."""

    to: str
    subject: str
    kind: str
    body: str

    def link(self, path: str) -> str:
        """The first link in the body whose path starts with `path` (host removed)."""
        match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S*)", self.body)
        assert match, f"no {path} link in: {self.body}"
        return match.group(1)

    def token(self) -> str:
        match = re.search(r"token=([\w-]+)", self.body)
        assert match, f"no token in: {self.body}"
        return match.group(1)


def deliver_mail(session: Session, kind: str | None = None) -> list[Mail]:
    """Deliver the outbox to a fresh temporary mail sink; the messages delivered, in order."""
    from diaspora.outbox.service import deliver_pending

    folder = Path(tempfile.mkdtemp(prefix="diaspora-mail-"))
    settings = Settings(environment="test", mail_dir=folder, smtp_host=None)
    deliver_pending(session=session, settings=settings, limit=10_000)
    mails = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = msg.get_body(preferencelist=("plain",))
        mails.append(
            Mail(
                to=str(msg["To"]),
                subject=str(msg["Subject"]),
                kind=str(msg["X-Diaspora-Kind"]),
                body=body.get_content() if body is not None else "",  # type: ignore[union-attr]
            )
        )
        path.unlink()
    folder.rmdir()
    return [m for m in mails if kind is None or m.kind == kind]
