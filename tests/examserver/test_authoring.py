"""The item bank pages, used as an item writer, a reviewer and an admin would."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from sqlalchemy import func, select

from itembank.models import Item, ItemAccess
from tests.conftest import csrf_token, login


def png_bytes(width=4, height=3) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def item_form(taxonomy, **overrides):
    data = {
        "competency": str(taxonomy["SKD.TWK.PILAR"].id),
        "stem": "Dasar negara Republik Indonesia adalah ...",
        "option_A": "Pancasila",
        "option_B": "UUD 1945",
        "option_C": "Bhinneka Tunggal Ika",
        "option_D": "NKRI",
        "correct": "A",
        "shuffle": "y",
        "note": "butir baru",
    }
    data.update(overrides)
    return data


def test_writer_creates_reviewer_approves_admin_sees_history(app, make_user, taxonomy, db_session):
    writer, reviewer, admin = make_user("item_writer"), make_user("reviewer"), make_user("admin")
    writer_client, reviewer_client, admin_client = app.test_client(), app.test_client(), app.test_client()
    login(writer_client, writer.email)
    login(reviewer_client, reviewer.email)
    login(admin_client, admin.email)

    page = writer_client.get("/bank-soal/butir/baru?tipe=single_choice")
    assert page.status_code == 200 and "Pokok soal" in page.get_data(as_text=True)
    token = csrf_token(writer_client, "/bank-soal/butir/baru?tipe=single_choice")
    response = writer_client.post(
        "/bank-soal/butir/baru?tipe=single_choice", data={**item_form(taxonomy), "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    item_url = response.headers["Location"]
    item_id = int(item_url.rstrip("/").split("/")[-1])

    token = csrf_token(writer_client, item_url)
    writer_client.post(f"{item_url}/status", data={"csrf_token": token, "to_status": "in_review"})
    # The author sees no approve button and a forged approval is refused.
    html = writer_client.get(item_url).get_data(as_text=True)
    assert 'value="approved"' not in html
    writer_client.post(f"{item_url}/status", data={"csrf_token": token, "to_status": "approved"})
    assert db_session.get(Item, item_id).status == "in_review"

    queue = reviewer_client.get("/bank-soal/").get_data(as_text=True)
    assert "PILAR" not in queue or "Antrean telaah" in queue
    assert f"/bank-soal/butir/{item_id}" in queue
    token = csrf_token(reviewer_client, item_url)
    response = reviewer_client.post(
        f"{item_url}/status", data={"csrf_token": token, "to_status": "approved", "comment": "Kunci benar."}
    )
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Item, item_id).status == "approved"

    listing = admin_client.get("/bank-soal/butir?status=approved").get_data(as_text=True)
    assert f"/bank-soal/butir/{item_id}" in listing
    detail = admin_client.get(item_url).get_data(as_text=True)
    assert "Kunci benar." in detail
    assert writer.full_name in detail and reviewer.full_name in detail
    assert re.search(r"approved|Disetujui", detail)


def test_author_cannot_approve_even_as_admin(app, client, make_user, make_item, db_session):
    admin = make_user("admin")
    item = make_item(author=admin)
    login(client, admin.email)
    url = f"/bank-soal/butir/{item.id}"
    token = csrf_token(client, url)
    client.post(f"{url}/status", data={"csrf_token": token, "to_status": "in_review"})
    response = client.post(f"{url}/status", data={"csrf_token": token, "to_status": "approved"}, follow_redirects=True)
    assert "prinsip empat mata" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Item, item.id).status == "in_review"


def test_invalid_item_form_shows_errors_and_writes_nothing(client, make_user, taxonomy, db_session):
    writer = make_user("item_writer")
    login(client, writer.email)
    url = "/bank-soal/butir/baru?tipe=single_choice"
    before = db_session.scalar(select(func.count(Item.id)))
    response = client.post(url, data={**item_form(taxonomy, correct="F"), "csrf_token": csrf_token(client, url)})
    assert response.status_code == 422
    assert "Kunci jawaban harus salah satu opsi" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Item.id))) == before


def test_weighted_item_and_image_upload(client, make_user, taxonomy, db_session):
    writer = make_user("item_writer")
    login(client, writer.email)
    url = "/bank-soal/butir/baru?tipe=weighted_options"
    data = {
        "competency": str(taxonomy["SKD.TKP.PEL"].id),
        "stem": "Seorang warga lansia kesulitan mengisi formulir daring. Sikap Anda ...",
        "option_A": "Membantu mengisikan sambil menjelaskan",
        "weight_A": "5",
        "option_B": "Meminta datang lagi besok",
        "weight_B": "1",
        "option_C": "Memberi nomor bantuan",
        "weight_C": "3",
        "csrf_token": csrf_token(client, url),
        "image_alt": "Contoh formulir",
    }
    from io import BytesIO

    data["image"] = (BytesIO(png_bytes()), "formulir.png")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    item = db_session.scalar(select(Item).order_by(Item.id.desc()))
    assert item.current_version.answer == {"weights": {"A": 5, "B": 1, "C": 3}}
    asset = item.current_version.assets[0]
    assert (asset.width, asset.height, asset.content_type) == (4, 3, "image/png")
    image = client.get(f"/bank-soal/aset/{asset.id}")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"MZ\x90\x00 this is an exe renamed", "PNG atau JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "rusak"),
        (b"\xff\xd8\xff" + b"\x00" * (301 * 1024), "300 KB"),
    ],
)
def test_bad_images_are_refused(client, make_user, taxonomy, db_session, payload, message):
    from io import BytesIO

    writer = make_user("item_writer")
    login(client, writer.email)
    url = "/bank-soal/butir/baru?tipe=single_choice"
    before = db_session.scalar(select(func.count(Item.id)))
    data = {
        **item_form(taxonomy),
        "csrf_token": csrf_token(client, url),
        "image": (BytesIO(payload), "x.png"),
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Item.id))) == before


def test_edit_makes_a_version_and_the_diff_page_shows_it(client, make_item, db_session):
    from examserver.accounts.models import User

    item = make_item()
    author = db_session.get(User, item.author_id)
    login(client, author.email)
    url = f"/bank-soal/butir/{item.id}/ubah"
    form = client.get(url).get_data(as_text=True)
    assert "Ibu kota negara" in form
    data = {
        "competency": str(item.competency_id),
        "stem": "Ibu kota provinsi Jawa Barat adalah ...",
        "option_A": "Jakarta",
        "option_B": "Bandung",
        "option_C": "Surabaya",
        "option_D": "Medan",
        "correct": "B",
        "shuffle": "y",
        "note": "ganti soal",
        "csrf_token": csrf_token(client, url),
    }
    assert client.post(url, data=data).status_code == 303
    diff = client.get(f"/bank-soal/butir/{item.id}/versi").get_data(as_text=True)
    assert "<del>negara Indonesia menurut UU sebelum 2022</del>" in diff
    assert "<ins>provinsi Jawa Barat</ins>" in diff
    assert "Pokok soal" in diff and "Kunci jawaban" in diff


def test_operational_views_are_logged(client, make_user, make_item, db_session):
    item = make_item()
    db_session.get(Item, item.id).status = "operational"
    db_session.commit()
    reviewer = make_user("reviewer")
    login(client, reviewer.email)
    client.get(f"/bank-soal/butir/{item.id}")
    client.get(f"/bank-soal/butir/{item.id}")
    assert db_session.scalar(select(func.count(ItemAccess.id)).where(ItemAccess.item_id == item.id)) == 2


BLUEPRINT_ENDPOINTS = {
    "authoring.blueprint_list",
    "authoring.blueprint_detail",
    "authoring.create_blueprint",
    "authoring.assemble",
    "authoring.form_detail",
    "authoring.publish_form",
}


@pytest.mark.parametrize("role", ["candidate", "proctor", "committee", "hr_officer"])
def test_non_bank_roles_get_403_everywhere_in_the_bank(app, client, make_user, make_item, role):
    """Candidates, proctors and HR never reach the bank; the committee only its blueprints and forms."""
    item = make_item()
    login(client, make_user(role).email)
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("authoring.") and not (role == "committee" and rule.endpoint in BLUEPRINT_ENDPOINTS)
    ]
    assert len(rules) >= 8
    for rule in rules:
        url = re.sub(r"<int:\w+>", str(item.id), rule.rule)
        for method in ("GET", "POST"):
            response = client.open(url, method=method)
            assert response.status_code in (403, 405), (url, method, response.status_code)
            if response.status_code == 403:
                assert "Ibu kota" not in response.get_data(as_text=True)


def test_taxonomy_page_and_admin_adds_a_node(client, make_user, taxonomy, db_session):
    admin = make_user("admin")
    login(client, admin.email)
    page = client.get("/bank-soal/kompetensi").get_data(as_text=True)
    assert "SKD.TWK.PILAR" in page
    token = csrf_token(client, "/bank-soal/kompetensi")
    client.post(
        "/bank-soal/kompetensi",
        data={
            "csrf_token": token,
            "code": "skd.twk.bela",
            "name": "Bela negara",
            "parent": str(taxonomy["SKD.TWK"].id),
        },
    )
    assert "SKD.TWK.BELA" in client.get("/bank-soal/kompetensi").get_data(as_text=True)


def test_item_page_draws_curves_for_calibrated_items(client, make_user, make_item, db_session):
    from itembank.database import utcnow
    from itembank.models import CalibrationRun, ItemParameter

    item = make_item()
    reviewer = make_user("reviewer")
    run = CalibrationRun(
        created_by_id=reviewer.id, source="import", model="3pl", status="published", published_at=utcnow()
    )
    db_session.add(
        ItemParameter(
            item_id=item.id,
            run=run,
            version_number=1,
            model="3pl",
            a=1.2,
            b=0.3,
            c=0.2,
            se_a=0.1,
            se_b=0.05,
            se_c=0.02,
            is_current=True,
        )
    )
    db_session.commit()
    login(client, reviewer.email)
    html = client.get(f"/bank-soal/butir/{item.id}").get_data(as_text=True)
    assert html.count("<svg") == 2 and "Kurva karakteristik butir" in html
    assert "1,200" in html and "(SE 0,050)" in html
