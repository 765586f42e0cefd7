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

# What each consent purpose means, in words a member understands (the purpose codes alone,
# "mapping" or "share_with_institution", are internal names).
PURPOSE_LABELS: dict[str, str] = {
    "mapping": N_("Mapping: record my answers to map the diaspora's skills and locations"),
    "matching": N_("Matching: compare my profile with institutions' placement requests"),
    "contact": N_("Contact: contact me about opportunities and the programme"),
    "share_with_institution": N_(
        "Sharing: give my name and contact details to an institution whose assignment I accept"
    ),
    "research": N_("Research: use my answers, without my name, in research and reports"),
}
PURPOSE_NAMES: dict[str, str] = {
    "mapping": N_("Mapping"),
    "matching": N_("Matching"),
    "contact": N_("Being contacted"),
    "share_with_institution": N_("Sharing with an institution"),
    "research": N_("Research"),
}
# Kinds of mail on the outbox page ("request.<status>" and "assignment.<event>" are shown
# as "Placement request: <status>" and "Assignment: <event>").
N_("Placement request")
OUTBOX_KINDS: dict[str, str] = {
    "password_reset": N_("Password reset"),
    "account.verify_email": N_("Address confirmation"),
    "account.register_attempt": N_("Registration with a known address"),
    "survey.resume": N_("Survey resume link"),
    "request.submitted": N_("Placement request submitted"),
    "shortlist.shortlisted": N_("Shortlisted for a request"),
    "shortlist.contacted": N_("Opportunity offered"),
    "shortlist.interested": N_("Member interested"),
    "evaluation.due": N_("Evaluation due"),
}
OUTBOX_STATUSES: dict[str, str] = {
    "queued": N_("queued"),
    "held": N_("held until an SMTP server is set"),
    "void": N_("not sent (the link was no longer valid)"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "logged": N_("written to the local mail folder"),
}
ROLE_LABELS: dict[str, str] = {
    "member": N_("Member"),
    "institution": N_("Institution user"),
    "staff": N_("Programme staff"),
    "admin": N_("Administrator"),
}
LEGAL_BASIS_LABELS: dict[str, str] = {
    "consent": N_("Consent of the member"),
    "public_task": N_("Public task"),
}

# Messages the services give in English that the account, privacy and retention pages show
# (listed so Babel extracts them; the pages translate them with `translate`). A message with
# numbers in it is listed with {0}, {1}… in their place (web.templating.translate_message).
MESSAGES = (
    N_("Wrong email or password."),
    N_("Too many failed sign-in attempts from your network. Try again in {0} seconds."),
    N_("must be at least {0} characters"),
    N_("must be at most {0} characters"),
    N_("give the token a name of {0} to {1} characters"),
    N_("expected a number of days from {0} to {1}"),
    N_("expected a whole number of days between {0} and {1}"),
    N_("expected between {0} and {1} days"),
    N_("at most {0} characters (this has {1})"),
    N_("Too many registrations from your network. Try again in an hour."),
    N_("We sent several links in the last hour. Check your mail first."),
    N_("Too many reset requests from your network. Try again in an hour."),
    N_("Your email address is already confirmed."),
    N_("is one of the most common passwords; choose one that is harder to guess"),
    N_("the two passwords differ"),
    N_("this is not your current password"),
    N_("must differ from the current password"),
    N_("expected an email address like name@example.org"),
    N_("this confirmation link is invalid or has expired; sign in to get a new one"),
    N_("this reset link is invalid or has expired; ask for a new one"),
    N_("type ERASE to confirm"),
    N_("choose at least one purpose to withdraw"),
    N_("required"),
    N_("required: say what this purpose is used for"),
    N_("choose a legal basis: consent or public task"),
    N_("contains a NUL character"),
    N_("Some fields need attention; nothing was published."),
    N_("required: a number of days"),
    N_("Some periods are not valid; nothing was changed."),
    # Dashboard filters (diaspora.analytics).
    N_(
        "'{0}' is not one of the skills this dashboard shows; choose a skill from the "
        "suggestions (skills listed by at least {1} members) or leave it empty."
    ),
    N_(
        "'{0}' is not a country code; use a two-letter ISO {1} code such as GH, GY or XK, or "
        "leave it empty."
    ),
    N_("A skill is at most {0} characters; shorten it."),
    N_("Choose two survey rounds to compare, or leave both empty."),
    N_("Choose two different survey rounds to compare."),
    N_("Some filters are not valid; change them and try again."),
    # Retention kinds (diaspora.retention.service.KINDS).
    N_("Inactive members"),
    N_("Unfinished survey drafts"),
    N_("Sent mail"),
    N_("Sessions and sign-in attempts"),
    N_("Personal data in audit details"),
    N_(
        "Members who have not signed in, answered or been updated for this long are erased "
        "(members with an open assignment are kept)."
    ),
    N_("Drafts not touched for this long are deleted with their files."),
    N_("Messages sent (or logged, or failed) this long ago are deleted from the outbox."),
    N_("Sessions that ended, and sign-in attempts, this long ago are deleted."),
    N_(
        "Audit events keep who did what; after this long, details that could identify a "
        "person (addresses, emails, search terms) are removed from them."
    ),
)
