"""HR pages refuse candidates (403) and the public (sign-in, never the page); the public forms are
the only HR routes open to everyone, and their floods get HTTP 429 with nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from examserver import access
from examserver.hr.models import CommunityFeedback, Employee, TrainingPlan
from tests.conftest import csrf_token
from tests.examserver import hr_workforce

PUBLIC = {"hr.feedback", "hr.public_consultation"}
COMMITTEE_READS = {
    "hr.effectiveness",
    "hr.effectiveness_validity_png",
    "hr.effectiveness_scatter_png",
    "hr.effectiveness_impact_png",
    "hr.consultation_summary",
    "hr.committee_profile_json",
}


def _hr_urls(app) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url with placeholder ids, methods) of every HR route."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("hr."):
            continue
        values = {arg: ("umpan-balik" if arg == "kind" else "final" if arg in ("key", "attribute", "code") else 1)
                  for arg in rule.arguments}  # fmt: skip
        with app.test_request_context():
            from flask import url_for

            urls.append((rule.endpoint, url_for(rule.endpoint, **values), set(rule.methods)))
    return urls


def test_every_hr_route_declares_its_audience(app):
    for endpoint, _url, _methods in _hr_urls(app):
        rule = access.rule_for(app, endpoint)
        assert rule is not None, endpoint
        if endpoint in PUBLIC:
            assert rule.public, endpoint
        else:
            assert not rule.public and not rule.allows("candidate"), endpoint
            assert rule.allows("hr_officer") and rule.allows("admin"), endpoint
            assert rule.allows("committee") == (endpoint in COMMITTEE_READS), endpoint


@pytest.mark.parametrize("role", ["candidate", "proctor", "item_writer"])
def test_candidates_and_other_staff_get_403_on_every_hr_page(app, client, db_session, login_as, taxonomy, role):
    hr_workforce.build_world(db_session, taxonomy)
    login_as(role)
    token = csrf_token(client, "/akun")
    for endpoint, url, methods in _hr_urls(app):
        if endpoint in PUBLIC:
            continue
        if "GET" in methods:
            assert client.get(url).status_code == 403, url
        if "POST" in methods:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert db_session.scalar(select(func.count()).select_from(TrainingPlan)) == 0


def test_the_public_never_sees_an_hr_page(app, client, db_session, taxonomy):
    world = hr_workforce.build_world(db_session, taxonomy)
    for endpoint, url, methods in _hr_urls(app):
        if endpoint in PUBLIC or "GET" not in methods:
            continue
        response = client.get(url)
        # People are sent to sign in (the platform's rule for anonymous pages); API clients get 401.
        assert response.status_code == 302 and "/masuk" in response.headers["Location"], url
        assert client.get(url, headers={"Accept": "application/json"}).status_code == 401, url
    assert world.new_hire.full_name not in client.get("/sdm/pegawai", follow_redirects=True).get_data(as_text=True)


def test_feedback_flood_is_refused_with_429_and_stores_nothing(app, client, db_session, taxonomy):
    hr_workforce.build_world(db_session, taxonomy)
    period = hr_workforce.period(db_session)
    db_session.commit()
    unit = db_session.scalar(select(Employee.unit).limit(1))

    def send(n):
        token = csrf_token(client, "/sdm/umpan-balik")
        data = {"csrf_token": token, "period": period.id, "unit": unit, "rating": "4", "comment": f"Kiriman {n}"}
        return client.post("/sdm/umpan-balik", data=data)

    statuses = [send(n).status_code for n in range(12)]
    assert statuses == [303] * 5 + [429] * 7  # 5 per 10 minutes per address
    refused = send(99)
    assert "Terlalu banyak kiriman dari alamat Anda" in refused.get_data(as_text=True)
    stored = db_session.scalars(select(CommunityFeedback.comment).order_by(CommunityFeedback.id)).all()
    assert stored == [f"Kiriman {n}" for n in range(5)]
    assert all(
        status == "pending" for status in db_session.scalars(select(CommunityFeedback.status))
    )  # nothing public before moderation
