"""Words the pages show that come from data (statuses, modes, moves, report headings).

They are listed here so Babel extracts them; templates translate them with `_()`.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction without translating it here."""
    return message


LABELS = (
    N_("Most common skills (top 25)"),
    N_("draft"),
    N_("submitted"),
    N_("approved"),
    N_("filled"),
    N_("closed"),
    N_("rejected"),
    N_("suggested"),
    N_("shortlisted"),
    N_("contacted"),
    N_("interested"),
    N_("declined"),
    N_("dismissed"),
    N_("proposed"),
    N_("accepted"),
    N_("in_progress"),
    N_("in progress"),
    N_("completed"),
    N_("cancelled"),
    N_("temporary"),
    N_("permanent"),
    N_("virtual"),
    N_("essential"),
    N_("desirable"),
    N_("open"),
    N_("Approve"),
    N_("Accept"),
    N_("Decline"),
    N_("Start"),
    N_("Complete"),
    N_("Cancel"),
    N_("Submit for review"),
    N_("Approve (open)"),
    N_("Reject"),
    N_("Send back for changes"),
    N_("Withdraw"),
    N_("Mark filled"),
    N_("Close"),
    N_("Reopen"),
    N_("Shortlist"),
    N_("Contact"),
    N_("Dismiss"),
    N_("I am interested"),
    N_("Not for me"),
    N_("Placement requests by status"),
    N_("status"),
    N_("requests"),
    N_("positions"),
    N_("Assignments by mode and status"),
    N_("mode"),
    N_("assignments"),
    N_("Assignments by sector"),
    N_("sector"),
    N_("members placed"),
    N_("people trained"),
    N_("Assignments by host institution"),
    N_("institution"),
    N_("Assignments by member's country of residence"),
    N_("country of residence"),
    N_("Assignments by programme"),
    N_("programme"),
)
