"""Access rules for the mapping dashboard: staff and admins see exact aggregates,
institution users see them with small cells hidden, members may not use it at all."""

from __future__ import annotations

from tests.web.access import Rule, add, outcomes


def dashboard_viewers() -> dict[str, str]:
    """Staff, admins and institution users; members 403; anonymous to sign-in."""
    return outcomes("ok", anonymous="login", alice="deny", bob="deny")


add(
    Rule("GET", "/dashboard", dashboard_viewers()),
    Rule("GET", "/dashboard/report", dashboard_viewers(), params=lambda w: {}),
    Rule(
        "GET",
        "/dashboard/export/{table}.{fmt}",
        dashboard_viewers(),
        params=lambda w: {"table": "residence", "fmt": "csv"},
    ),
    Rule("GET", "/api/v1/analytics/dashboard", dashboard_viewers()),
    Rule(
        "GET",
        "/api/v1/analytics/export/{table}.{fmt}",
        dashboard_viewers(),
        params=lambda w: {"table": "gender", "fmt": "xlsx"},
    ),
)
