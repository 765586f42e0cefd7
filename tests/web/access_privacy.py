"""Access rules for privacy notices (public) and the admin pages for notices and retention."""

from __future__ import annotations

from typing import Any

from tests.web.access import Rule, add, admin_only, public, staff_only


def _notice(world: Any, session: Any) -> None:
    from diaspora.notices import service as notices

    data = notices.defaults(session=session, programme_id=None)
    data.update(controller="The mission", contact="privacy@example.org")
    world.notice = notices.publish(session=session, actor=world.ada, programme_id=None, data=data)


add(
    Rule(
        "GET",
        "/privacy/notices/{notice_id}",
        public(),
        setup=_notice,
        params=lambda w: {"notice_id": w.notice.id},
    ),
    Rule("GET", "/admin/privacy", admin_only()),
    Rule("GET", "/admin/privacy/edit", admin_only()),
    # An empty form: allowed (422 with field errors) for admins only.
    Rule("POST", "/admin/privacy/edit", admin_only(), form=lambda w: {"controller": ""}),
    Rule("GET", "/admin/retention", admin_only()),
    Rule("POST", "/admin/retention", admin_only(), form=lambda w: {"drafts": "-1"}),
    # Staff record a withdrawal a member asked for; only admins erase (the service says so).
    Rule(
        "POST",
        "/staff/members/{member_id}/consents/withdraw",
        staff_only(),
        params=lambda w: {"member_id": w.alice_profile.id},
        form=lambda w: {"purpose": "contact"},
    ),
    Rule(
        "POST",
        "/staff/members/{member_id}/erase",
        admin_only(),
        params=lambda w: {"member_id": w.alice_profile.id},
        form=lambda w: {"confirm": "no"},
    ),
)
