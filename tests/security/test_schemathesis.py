"""schemathesis over the whole API, as a member, an institution user and staff.

Every operation of the OpenAPI document gets examples generated from its schema (bounded,
so the run stays short); each answer must not be a server error and must conform to the
document: a documented status, the documented content type, a body matching its schema.
The figures (operations x roles, examples, failures) are printed with -s.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi import checks as oa

from diaspora.accounts import service as accounts
from tests.factories import build_world

# Positive examples per operation and role (at most; hypothesis stops early for
# operations with few distinct inputs): 39 operations x 3 roles in under a minute.
EXAMPLES = 25
ROLES = ("alice", "carol", "sam")  # member, institution user, staff
CHECKS = [
    schemathesis.checks.not_a_server_error,
    oa.status_code_conformance,
    oa.content_type_conformance,
    oa.response_schema_conformance,
    oa.response_headers_conformance,
]


@pytest.mark.parametrize("role", ROLES)
def test_the_api_conforms_to_its_schema(role: str, app, session, capsys) -> None:
    world = build_world(session)
    token = accounts.issue_token(session=session, user=getattr(world, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    examples = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            nonlocal examples
            examples += 1
            # Collected rather than raised: one report for the whole API.  (schemathesis
            # raises its FailureGroup, a BaseExceptionGroup, for failed checks.)
            try:
                response = case.call(headers=headers)
            except Exception as error:
                failures.append(f"{case.operation.label}: the app raised {error!r}")
                return
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, BaseExceptionGroup) as failure:
                failures.append(f"{case.operation.label}: {str(failure)[:600]}")

        run()
    with capsys.disabled():
        print(
            f"\nschemathesis as {role}: {len(operations)} operations, "
            f"{examples} examples, {len(failures)} failures"
        )
    assert failures == [], "\n\n".join(failures[:10])
