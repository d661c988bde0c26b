"""The link between a site and the centre, when there is one (docs/operations/test-sites.md).

Nothing of the sitting needs it: a site runs the day on its own and carries its results on a USB
stick. When a link exists, ``flask site sync`` (run every minute by a timer on the site) does over
it what people would otherwise carry:

* it reports the site's state (package imported, content released, its roster's sessions by state)
  to the centre, which shows it on the committee's monitoring page;
* from the sitting's opening the centre's answer carries the release code, and the site releases
  its content itself, after checking its clock against the centre's (:data:`CLOCK_TOLERANCE`);
* when more of its sessions have ended since the last time, it sends the results file, which the
  centre verifies and imports exactly as a file carried by hand (:func:`receive_results`).

Both requests are signed with the site's key (:mod:`examserver.sites.sealing` envelopes): the
centre's two endpoints take no session and no CSRF token, and answer only a request whose
signature the package's registered site key verifies.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import true
from sqlalchemy.orm import Session

from examserver.sites import sealing
from examserver.sites.install import CLOCK_TOLERANCE, refusal, release, state
from examserver.sites.results import Received, package_key, signed_results
from examserver.sites.services import count_sessions
from itembank.refusal import Refusal

REPORT_FORMAT = "ujian-site-report/1"
#: How long the site waits for the centre before it carries on without it.
TIMEOUT_SECONDS = 20.0
#: A report whose site time is further than this from the centre's is refused (a replay).
REPORT_FRESHNESS = CLOCK_TOLERANCE * 2


def _counts(session: Session) -> dict[str, int]:
    """This site's sessions by where they stand (the site holds only its roster's)."""
    return asdict(count_sessions(session, true()))


# ---------------------------------------------------------------------------------------- the centre


def receive_report(session: Session, raw: bytes, *, now: datetime) -> dict[str, Any]:
    """Record a site's signed report; the answer carries the centre's time and, from the sitting's
    opening, the release code. The caller commits."""
    key_for, found = package_key(session)
    try:
        body = sealing.read_signed_by(raw, REPORT_FORMAT, key_for)
    except sealing.SealError as error:
        raise refusal(error) from error
    package = found["package"]
    sent_at = datetime.fromisoformat(body["sent_at"])
    if abs(sent_at - now) > REPORT_FRESHNESS:
        raise Refusal("sites.report_stale", 422, minutes=round(abs(sent_at - now).total_seconds() / 60))
    for name in ("imported_at", "released_at"):
        if body.get(name) and getattr(package, name) is None:
            setattr(package, name, datetime.fromisoformat(body[name]))
    package.reported_at = now
    package.site_counts = {key: int(body["counts"].get(key, 0)) for key in ("not_started", "running", "finished")}
    opened = now >= package.schedule.opens_at and package.superseded_at is None
    return {
        "centre_time": now.isoformat(),
        "release_code": package.release_code if opened else None,
        "superseded": package.superseded_at is not None,
    }


def received_json(received: Received) -> dict[str, Any]:
    return {
        "imported": received.imported,
        "unchanged": received.unchanged,
        "not_started": received.not_started,
        "running": received.running,
        "flagged": received.flagged,
        "problems": [[name, code, position] for name, code, position, _detail in received.problems],
    }


# ---------------------------------------------------------------------------------------- the site


@dataclass
class Synced:
    """What one ``flask site sync`` did."""

    centre_offset_seconds: float
    released: int | None = None
    uploaded: dict[str, Any] | None = None


def _post(url: str, data: bytes) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/gzip", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # the centre refused: its message, in its words
        try:
            message = json.loads(error.read()).get("message")
        except ValueError:
            message = None
        raise Refusal("sites.centre_refused", 502, http_status=error.code, message=message or "") from error
    except (OSError, ValueError) as error:  # no route, timeout, reset, not JSON: no link now
        raise Refusal("sites.no_link", 503, reason=str(error)[:120]) from error


def _signed(body: dict[str, Any], format: str, private_pem: str) -> bytes:
    return sealing.envelope(format, body, sealing.load_private(private_pem))


def sync(session: Session, centre_url: str, *, now: datetime) -> Synced:
    """Report to the centre, release with the code it sends from the opening, and send the results
    when more sessions have ended. Raises :class:`Refusal` ``sites.no_link`` when the centre cannot
    be reached (the site carries on: nothing of the sitting needs the link). The caller commits."""
    held = state(session)
    if held is None:
        raise Refusal("sites.no_package", 409)
    base = centre_url.rstrip("/")
    counts = _counts(session)
    report: dict[str, Any] = {
        "package_id": held.package_id,
        "site_code": held.site_code,
        "sent_at": now.isoformat(),
        "imported_at": held.imported_at.isoformat(),
        "released_at": held.released_at.isoformat() if held.released_at else None,
        "counts": counts,
    }
    answer = _post(f"{base}/api/lokasi/laporan", _signed(report, REPORT_FORMAT, held.site_private_key_pem))
    offset = (datetime.fromisoformat(answer["centre_time"]) - now).total_seconds()
    synced = Synced(centre_offset_seconds=offset)
    code = answer.get("release_code")
    if code and held.released_at is None:
        if abs(offset) > CLOCK_TOLERANCE.total_seconds():
            raise Refusal("sites.clock_off", 409, minutes=round(abs(offset) / 60))
        synced.released = release(session, code, now=now)[1]
        report["released_at"] = now.isoformat()  # and tell the centre at once, not at the next sync
        _post(f"{base}/api/lokasi/laporan", _signed(report, REPORT_FORMAT, held.site_private_key_pem))
    ended = counts["finished"]
    if ended > held.uploaded_ended:
        uploaded = _post(f"{base}/api/lokasi/hasil", signed_results(session, now=now)[1])
        synced.uploaded = uploaded
        if not uploaded.get("problems"):
            held.uploaded_ended = ended
    return synced
