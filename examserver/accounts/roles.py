"""The roles of the platform, in the order they appear in the admin pages (labels: ``examserver.labels``)."""

CANDIDATE = "candidate"
ITEM_WRITER = "item_writer"
REVIEWER = "reviewer"
PROCTOR = "proctor"
COMMITTEE = "committee"
HR_OFFICER = "hr_officer"
INSPECTOR = "inspector"
ADMIN = "admin"

ROLES = (CANDIDATE, ITEM_WRITER, REVIEWER, PROCTOR, COMMITTEE, HR_OFFICER, INSPECTOR, ADMIN)
STAFF_ROLES = tuple(role for role in ROLES if role != CANDIDATE)

#: The endpoint each role lands on after signing in.
ROLE_HOME = {
    CANDIDATE: "candidate.index",
    ITEM_WRITER: "authoring.index",
    REVIEWER: "authoring.index",
    PROCTOR: "proctor.index",
    COMMITTEE: "committee.index",
    HR_OFFICER: "hr.index",
    INSPECTOR: "oversight.cases",
    ADMIN: "admin.index",
}
