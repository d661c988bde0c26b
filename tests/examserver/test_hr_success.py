"""Success profiles on the demo: HR sees the proposal, a bad edit is refused and changes nothing,
an accepted profile becomes the committee's profile of the position's next vacancies."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from examserver.accounts.models import User
from examserver.demo.hr import SUCCESS_PROFILE
from examserver.extensions import db
from examserver.hr.models import PositionProfile, SuccessProfile
from examserver.selection import services
from examserver.selection.models import Position, SelectionPeriod
from examserver.selection.rules import default_rules_json
from itembank.database import utcnow
from tests.conftest import csrf_token, demo_client


def _proposal(app) -> tuple[int, int, dict]:
    with app.app_context():
        profile = db.session.scalar(select(PositionProfile).where(PositionProfile.code == SUCCESS_PROFILE))
        item = db.session.scalar(select(SuccessProfile).where(SuccessProfile.profile_id == profile.id))
        return profile.id, item.id, dict(item.proposed)


def _state(app, success_id: int):
    with app.app_context():
        item = db.session.get(SuccessProfile, success_id)
        return item.status, item.accepted, item.committee_profile


def _next_period_position(app) -> int:
    """A period opening next month with the demo position's code, its profile still the committee's own."""
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == "panitia@demo.id"))
        now = utcnow()
        period = services.save_period(
            db.session, None, actor_id=member.id, code="CPNS-DEMO-2027", title="Seleksi 2027",
            agency="Kementerian Demo", description="", applications_open_at=now + timedelta(days=30),
            applications_close_at=now + timedelta(days=50), appeal_days=3, schedule_id=None,
            rules=default_rules_json(), stages={},
        )  # fmt: skip
        position = services.save_position(
            db.session, period, None, code=SUCCESS_PROFILE, agency="Kementerian Demo", title="Analis Keuangan",
            unit="Biro Keuangan", location="Jakarta", quota=1, education="S-1 Akuntansi", categories=["general"],
            required_documents=["ktp"], competency_profile={"integritas": 2}, equivalence_group=None,
        )  # fmt: skip
        db.session.commit()
        return position.id


def test_the_demo_proposal_is_shown_with_the_top_tertile_against_the_rest(demo_app):
    profile_id, _success_id, proposed = _proposal(demo_app)
    page = demo_client(demo_app, "hr@demo.id").get(f"/sdm/profil-sukses/{profile_id}").get_data(as_text=True)
    assert "Terbaik: θ rata-rata (SE)" in page and "Terima profil" in page
    assert proposed and all(f'name="level-{code}"' in page for code in proposed)
    # The latest proposal's status reads as a status, not after a heading that says the same.
    assert "Profil sukses terakhir</h2>" in page and 'Status: <span class="badge" id="latest-status">usulan<' in page
    assert not re.search(r"Usulan terakhir\s*(<[^>]+>\s*)*usulan", page)
    english = demo_client(demo_app, "hr@demo.id")
    with english.session_transaction() as session:
        session["lang"] = "en"
    page = english.get(f"/sdm/profil-sukses/{profile_id}").get_data(as_text=True)
    assert "Latest success profile</h2>" in page and 'Status: <span class="badge" id="latest-status">proposed<' in page
    assert "Latest proposal" not in page
    index = demo_client(demo_app, "hr@demo.id").get("/sdm/profil-sukses").get_data(as_text=True)
    assert SUCCESS_PROFILE in index and "usulan" in index


def test_bad_levels_are_refused_and_change_nothing_then_an_edit_is_accepted(own_demo):
    app = own_demo("success-accept")
    profile_id, success_id, proposed = _proposal(app)
    position_id = _next_period_position(app)
    client = demo_client(app, "hr@demo.id")
    url = f"/sdm/profil-sukses/usulan/{success_id}/terima"
    codes = sorted(proposed)
    for bad in ("abc", "9", "0.5.1", "-7,5"):
        token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
        response = client.post(url, data={"csrf_token": token, f"level-{codes[0]}": bad, f"level-{codes[1]}": "0,3"})
        assert response.status_code == 200, bad
        assert _state(app, success_id) == ("proposed", None, None), bad
        # Shown again with what was typed, the problem beside its field and nowhere else.
        page = response.get_data(as_text=True)
        error = re.search(rf'<p class="error" id="level-{re.escape(codes[0])}-error">([^<]*)</p>', page)
        assert error and "antara -4 dan 4" in error.group(1), bad
        assert f'id="level-{codes[1]}-error"' not in page, bad
        assert f'name="level-{codes[0]}" inputmode="decimal" value="{bad}"' in page, bad
        assert f'name="level-{codes[1]}" inputmode="decimal" value="0,3"' in page, bad
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    # nothing typed: refused too
    assert client.post(url, data={"csrf_token": token, "understood": "y"}).status_code == 303
    assert _state(app, success_id)[0] == "proposed"
    with app.app_context():
        assert db.session.get(Position, position_id).competency_profile == {"integritas": 2}

    # Good levels without the box that names what accepting does: refused beside the box, levels kept.
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    response = client.post(url, data={"csrf_token": token, "level-MSK.INTEGRITAS": "0,8"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _state(app, success_id)[0] == "proposed"
    assert "langsung dipakai formasi jabatan ini" in page and 'id="understood-error">Centang' in page
    assert 'name="level-MSK.INTEGRITAS" inputmode="decimal" value="0,8"' in page
    with app.app_context():
        assert db.session.get(Position, position_id).competency_profile == {"integritas": 2}

    # HR edits integrity to 0,8 (decimal comma, as typed in Indonesian) and drops the other competencies.
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    response = client.post(url, data={"csrf_token": token, "level-MSK.INTEGRITAS": "0,8", "understood": "y"})
    assert response.status_code == 303
    status, accepted, committee = _state(app, success_id)
    # θ 0.8 lies between the cuts 0.5 and 1.5 of the committee's levels: level 4.
    assert status == "accepted" and accepted == {"MSK.INTEGRITAS": 0.8} and committee == {"integritas": 4}
    with app.app_context():
        assert db.session.get(Position, position_id).competency_profile == {"integritas": 4}
        # A period already open keeps the profile it was published with.
        demo = db.session.scalar(
            select(Position)
            .join(SelectionPeriod)
            .where(SelectionPeriod.code == "CPNS-DEMO-2026", Position.code == SUCCESS_PROFILE)
        )
        assert demo.competency_profile == {"integritas": 3, "pelayanan_publik": 3}
    # The accepted profile's table names each competency in the page's language, its code beside it
    # (an English page read the Indonesian "Integritas").
    page = client.get(f"/sdm/profil-sukses/{profile_id}").get_data(as_text=True)
    assert '<td>Integritas <span class="small">MSK.INTEGRITAS</span></td>' in page
    english = demo_client(app, "hr@demo.id")
    with english.session_transaction() as session:
        session["lang"] = "en"
    page = english.get(f"/sdm/profil-sukses/{profile_id}").get_data(as_text=True)
    assert '<td>Integrity <span class="small">MSK.INTEGRITAS</span></td>' in page
    assert "Integritas" not in page
    # Accepting twice is refused.
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    client.post(url, data={"csrf_token": token, "level-MSK.INTEGRITAS": "1,6", "understood": "y"})
    assert _state(app, success_id)[1] == {"MSK.INTEGRITAS": 0.8}

    # The committee downloads the generated profile; candidates and the public cannot.
    download = f"/sdm/profil-sukses/usulan/{success_id}/profil-panitia.json"
    response = demo_client(app, "panitia@demo.id").get(download)
    assert response.status_code == 200 and json.loads(response.data) == {"integritas": 4}
    assert demo_client(app, "kandidat1@demo.id").get(download).status_code == 403
    assert app.test_client().get(download).status_code == 302


def test_a_new_proposal_is_computed_from_the_current_data(own_demo):
    app = own_demo("success-propose")
    profile_id, success_id, proposed = _proposal(app)
    client = demo_client(app, "hr@demo.id")
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    assert client.post(f"/sdm/profil-sukses/{profile_id}/usulkan", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        items = db.session.scalars(
            select(SuccessProfile).where(SuccessProfile.profile_id == profile_id).order_by(SuccessProfile.id)
        ).all()
        assert len(items) == 2 and items[1].id > success_id and items[1].proposed == proposed
        assert items[1].employees >= 3 and items[1].periods
    # A position without employees cannot have one.
    with app.app_context():
        empty = PositionProfile(code="KOSONG", title="Tanpa pegawai")
        db.session.add(empty)
        db.session.commit()
        empty_id = empty.id
    page = client.get(f"/sdm/profil-sukses/{empty_id}").get_data(as_text=True)
    assert "paling sedikit tiga pegawai" in page
    token = csrf_token(client, f"/sdm/profil-sukses/{profile_id}")
    client.post(f"/sdm/profil-sukses/{empty_id}/usulkan", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(SuccessProfile).where(SuccessProfile.profile_id == empty_id)) is None
