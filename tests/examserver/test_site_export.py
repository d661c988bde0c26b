"""The centre's export of a sitting for one test site (issue 17), on the demo: what the package
carries and what it must not, the PINs, the registry, and the bad input it refuses unchanged."""

from __future__ import annotations

import base64
import csv
import json

import pytest
from sqlalchemy import func, select

from examserver.accounts.models import User
from examserver.accounts.passwords import verify_password
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites import sealing
from examserver.sites.export import export_package
from examserver.sites.models import SitePackage, SiteRosterEntry, TestSite
from itembank.database import utcnow
from itembank.models import Item, ItemParameter, ItemVersion
from itembank.refusal import Refusal


@pytest.fixture(scope="module")
def demo(own_demo):
    app = own_demo("site-export")
    with app.app_context():
        db.session.add_all(
            [TestSite(code="SMAN1-BUNGO", name="SMA Negeri 1 Muara Bungo"), TestSite(code="SMPN2-JAMBI", name="SMP 2")]
        )
        db.session.commit()
    return app


def export(tmp_path, name="pkg.json.gz", **options):
    settings = {
        "schedule_code": "DEMO-SKD",
        "site_code": "SMAN1-BUNGO",
        "out": tmp_path / name,
        "signing_key": signing.private_key(),
        "now": utcnow(),
        "proctor_emails": ["pengawas@demo.id"],
        "seats": 4,
    } | options
    exported = export_package(db.session, **settings)
    db.session.commit()
    return exported


def tables_of(manifest) -> dict[str, list[dict]]:
    return {entry["table"]: entry["rows"] for entry in manifest["rows"]}


def read(exported, site="SMAN1-BUNGO"):
    return sealing.read_package(exported.path, signing.public_key_pem(), now=utcnow(), site_code=site)


def test_a_fixed_sitting_travels_sealed_with_its_roster_only(demo, tmp_path):
    with demo.app_context():
        exported = export(tmp_path)
        manifest = read(exported)
        rows = tables_of(manifest)
        sessions = {row["id"] for row in rows["exam_session"]}
        assert sessions == {entry.session_id for entry in exported.package.roster} and len(sessions) == 4
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == "DEMO-SKD"))
        assert db.session.scalar(select(func.count()).where(ExamSession.schedule_id == schedule.id)) > 4
        # No item is readable in the package: every version's text is an empty placeholder, and no
        # stem of the sitting appears anywhere in the file's JSON.
        versions = rows["item_version"]
        assert versions and all(v["stem"] == "" and v["options"] == [] and v["answer"] == {} for v in versions)
        text = json.dumps(manifest, ensure_ascii=False)
        stems = db.session.scalars(select(ItemVersion.stem).where(ItemVersion.id.in_([v["id"] for v in versions])))
        assert not [stem for stem in stems if stem[:30] in text]
        # People travel without password hashes, NIK or telephone; staff the rows name are stubs.
        users = rows["user"]
        assert all(u["password_hash"] == "!site" and u["nik"] is None and u["phone"] is None for u in users)
        stubs = [u for u in users if u["email"].endswith("@pusat.invalid")]
        assert stubs and all(u["is_disabled"] and u["full_name"] == "Staf pusat" for u in stubs)
        people = {u["email"] for u in users} - {u["email"] for u in stubs}
        candidates = select(User.email).join(ExamSession, ExamSession.candidate_id == User.id)
        assert people == {"pengawas@demo.id", *db.session.scalars(candidates.where(ExamSession.id.in_(sessions)))}


def test_the_sealed_content_opens_with_the_share_and_the_published_code_only(demo, tmp_path):
    with demo.app_context():
        exported = export(tmp_path, seats=2, site_code="SMPN2-JAMBI")
        manifest = read(exported, "SMPN2-JAMBI")
        share = base64.b64decode(manifest["seal"]["share"])
        key = sealing.open_key(share, exported.package.release_code, manifest["package_id"], manifest["seal"]["check"])
        for entry in manifest["sealed"]:
            aad = f"{manifest['package_id']}|{entry['table']}|{entry['id']}".encode()
            content = json.loads(sealing.unseal(key, aad, entry))
            if entry["table"] == "item_version":
                version = db.session.get(ItemVersion, entry["id"])
                assert content == {"stem": version.stem, "options": version.options, "answer": version.answer}
        with pytest.raises(sealing.SealError) as wrong:
            sealing.open_key(share, "A" * 20, manifest["package_id"], manifest["seal"]["check"])
        assert wrong.value.code == "code_wrong"
        with pytest.raises(sealing.SealError) as elsewhere:
            read(exported, "SMAN1-BUNGO")
        assert elsewhere.value.code == "wrong_site"


def test_the_printed_pins_open_the_roster_and_are_not_kept(demo, tmp_path):
    with demo.app_context():
        exported = export(tmp_path, seats=3, site_code="SMPN2-JAMBI")
        manifest = read(exported, "SMPN2-JAMBI")
        hashes = {entry["session_id"]: entry["pin_hash"] for entry in manifest["roster"]}
        numbers = {db.session.get(ExamSession, sid).registration_number: sid for sid in hashes}
        assert [number for number, _, _ in exported.candidate_pins] == sorted(numbers)
        for number, _name, pin in exported.candidate_pins:
            assert len(pin) == 8 and pin.isdigit()
            assert verify_password(hashes[numbers[number]], pin)
            assert not verify_password(hashes[numbers[number]], "00000000" if pin != "00000000" else "11111111")
        kept = db.session.scalars(
            select(SiteRosterEntry.pin_hash).where(SiteRosterEntry.package_id == exported.package.id)
        )
        assert set(kept) == set(hashes.values())
        assert not any(pin in json.dumps(manifest) for _, _, pin in exported.candidate_pins)


def test_an_adaptive_sitting_carries_its_pool_with_current_parameters(demo, tmp_path):
    with demo.app_context():
        manifest = read(export(tmp_path, schedule_code="DEMO-CAT", seats=2))
        rows = tables_of(manifest)
        items = {row["id"] for row in rows["item"]}
        assert items and {p["item_id"] for p in rows["item_parameter"]} == items
        assert all(p["is_current"] for p in rows["item_parameter"])
        current = set(
            db.session.scalars(
                select(ItemParameter.item_id).where(ItemParameter.is_current, ItemParameter.item_id.in_(items))
            )
        )
        assert current == items
        competencies = {row["id"]: row["parent_id"] for row in rows["competency"]}
        assert all(parent is None or parent in competencies for parent in competencies.values())
        assert {db.session.get(Item, i).competency_id for i in items} <= set(competencies)


def test_a_new_export_replaces_the_sites_earlier_package(demo, tmp_path):
    with demo.app_context():
        first = export(tmp_path, "a.json.gz", schedule_code="SKD-2026-I", seats=2)
        second = export(tmp_path, "b.json.gz", schedule_code="SKD-2026-I", seats=2)
        db.session.refresh(first.package)
        assert first.package.superseded_at is not None and second.package.superseded_at is None
        assert first.package.release_code != second.package.release_code


@pytest.mark.parametrize(
    "options,code",
    [
        ({"schedule_code": "NOPE"}, "sites.schedule_unknown"),
        ({"site_code": "NOPE"}, "sites.site_unknown"),
        ({"proctor_emails": ["kandidat1@demo.id"]}, "sites.not_proctors"),
        ({"proctor_emails": []}, "sites.no_proctor"),
        ({"seats": None, "registration_numbers": ["NOPE-1"]}, "sites.candidates_unknown"),
        ({"schedule_code": "UJICOBA-2026-10"}, "sites.schedule_closed"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(demo, tmp_path, options, code):
    with demo.app_context():
        before = db.session.scalar(select(func.count()).select_from(SitePackage))
        with pytest.raises(Refusal) as refused:
            export(tmp_path, **options)
        db.session.rollback()
        assert refused.value.code == code
        assert db.session.scalar(select(func.count()).select_from(SitePackage)) == before
        assert not (tmp_path / "pkg.json.gz").exists()


def test_candidates_of_another_site_are_refused(demo, tmp_path):
    with demo.app_context():
        exported = export(tmp_path, "a.json.gz", schedule_code="DEMO-CAT", site_code="SMPN2-JAMBI", seats=1)
        taken = db.session.get(ExamSession, exported.package.roster[0].session_id).registration_number
        with pytest.raises(Refusal) as refused:
            export(tmp_path, "b.json.gz", schedule_code="DEMO-CAT", seats=None, registration_numbers=[taken])
        db.session.rollback()
        assert refused.value.code == "sites.candidates_elsewhere" and taken in refused.value.params["numbers"]


def test_the_cli_registers_a_site_and_writes_the_package_and_the_pins(demo, tmp_path):
    runner = demo.test_cli_runner()
    bad = runner.invoke(args=["site", "add", "bad code!", "X"])
    assert bad.exit_code != 0 and "Kode lokasi" in bad.output
    assert runner.invoke(args=["site", "add", "smkn3-medan", "SMK Negeri 3 Medan"]).exit_code == 0
    again = runner.invoke(args=["site", "add", "SMKN3-MEDAN", "lagi"])
    assert again.exit_code != 0 and "sudah terdaftar" in again.output
    out = tmp_path / "medan.json.gz"
    args = ["site", "export", "--schedule", "DEMO-SKD", "--site", "SMKN3-MEDAN", "--proctor", "pengawas@demo.id"]
    result = runner.invoke(args=[*args, "--seats", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pins = list(csv.reader((tmp_path / "medan.json.pin.csv").read_text(encoding="utf-8").splitlines()))
    assert len(pins) == 1 + 2 + 1 + 1 and all(len(row[2]) == 8 for row in pins[1:-1])
    assert pins[-1][0] == "Kunci lokasi" and len(pins[-1][2]) == 23
    refused = runner.invoke(args=[*args, "--seats", "2", "--candidates", str(out), "--out", str(out)])
    assert refused.exit_code != 0 and "either --candidates or --seats" in refused.output
