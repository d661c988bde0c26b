"""Import and export pages: all-or-nothing import, admin-only logged export, QTI round trip."""

from __future__ import annotations

import io

from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session, sessionmaker

from examserver import create_app
from examserver.accounts import services as accounts
from examserver.extensions import db
from itembank import services
from itembank.content import plain_text
from itembank.models import Competency, Item, ItemAccess
from tests.conftest import PASSWORD, csrf_token, login

GOOD_ROW = (
    "TWK-900,SKD.TWK.NAS,single_choice,draft,1,Lagu kebangsaan Indonesia adalah ...,"
    "Indonesia Raya,Garuda Pancasila,,,,,,,A,,,"
)
BAD_ROW = "TWK-901,SKD.TWK.NAS,single_choice,draft,1,Soal rusak,Satu,Dua,,,,,,,Z,,,"
HEADER = ",".join(
    ["code", "competency", "type", "status", "shuffle", "stem"]
    + [f"option_{letter}" for letter in "abcdefgh"]
    + ["answer", "a", "b", "c"]
)


def upload(client, content: bytes, name: str):
    token = csrf_token(client, "/bank-soal/impor")
    return client.post(
        "/bank-soal/impor",
        data={"csrf_token": token, "file": (io.BytesIO(content), name), "note": "uji"},
        content_type="multipart/form-data",
    )


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(client, make_user, taxonomy, db_session):
    login(client, make_user("item_writer").email)
    before = db_session.scalar(select(func.count(Item.id)))
    response = upload(client, f"{HEADER}\n{GOOD_ROW}\n{BAD_ROW}\n".encode(), "butir.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Impor ditolak: 1 kesalahan" in html
    assert '<td class="num">3</td>' in html  # the header is line 1, the bad row line 3
    assert db_session.scalar(select(func.count(Item.id))) == before


def test_a_good_import_creates_the_items(client, make_user, taxonomy, db_session):
    login(client, make_user("item_writer").email)
    response = upload(client, f"{HEADER}\n{GOOD_ROW}\n".encode(), "butir.csv")
    assert response.status_code == 200
    assert "1 butir diimpor." in response.get_data(as_text=True)
    item = db_session.scalar(select(Item).where(Item.code == "TWK-900"))
    assert item.current_version.answer == {"correct": "A"}


def test_export_is_admin_only_and_logged(client, make_user, make_item, db_session):
    item = make_item()
    writer = make_user("item_writer")
    login(client, writer.email)
    assert client.get("/bank-soal/ekspor").status_code == 403
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/bank-soal/ekspor")
    response = client.post("/bank-soal/ekspor", data={"csrf_token": token, "format": "csv", "status": ""})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="bank-soal.csv"'
    assert item.code in response.get_data().decode("utf-8-sig")
    logged = db_session.scalar(
        select(func.count(ItemAccess.id)).where(ItemAccess.kind == "export", ItemAccess.user_id == admin.id)
    )
    assert logged == db_session.scalar(select(func.count(Item.id)))


def test_qti_export_imports_into_an_empty_bank_with_identical_content(
    client, make_user, make_item, taxonomy, db_session, config_class, tmp_path
):
    for type_key in ("single_choice", "true_false", "multiple_response", "weighted_options", "numeric"):
        make_item(type_key, stem=f"<p>Soal <b>{type_key}</b> &amp; tabel</p>")
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/bank-soal/ekspor")
    package = client.post("/bank-soal/ekspor", data={"csrf_token": token, "format": "qti", "status": ""}).data
    source = {
        item.code: (
            item.item_type,
            item.competency.code,
            item.current_version.stem,
            item.current_version.options,
            item.current_version.answer,
            item.shuffle_options,
        )
        for item in db_session.scalars(select(Item))
    }

    other = create_app(config_class(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}"))
    with other.app_context():
        other_engine = db.engine
    # db_session replaced the global db.session with the suite's; the second bank gets its own.
    suite_session = db.session
    db.session = scoped_session(sessionmaker(bind=other_engine))
    try:
        _fill_empty_bank_and_import(other, package)
        with other.app_context():
            imported = {
                item.code: (
                    item.item_type,
                    item.competency.code,
                    item.current_version.stem,
                    item.current_version.options,
                    item.current_version.answer,
                    item.shuffle_options,
                )
                for item in db.session.scalars(select(Item))
            }
            assert db.session.scalar(select(func.count(Competency.id))) == 6
    finally:
        db.session.remove()
        db.session = suite_session
        other_engine.dispose()
    assert imported == source
    assert all(plain_text(stem).startswith("Soal") for _, _, stem, *_ in imported.values())


def _fill_empty_bank_and_import(other, package: bytes) -> None:
    with other.app_context():
        db.create_all()
        root = services.create_competency(db.session, code="SKD", name="SKD")
        twk = services.create_competency(db.session, code="SKD.TWK", name="TWK", parent_id=root.id)
        services.create_competency(db.session, code="SKD.TWK.NAS", name="Nasionalisme", parent_id=twk.id)
        services.create_competency(db.session, code="SKD.TWK.PILAR", name="Pilar", parent_id=twk.id)
        tkp = services.create_competency(db.session, code="SKD.TKP", name="TKP", parent_id=root.id)
        services.create_competency(db.session, code="SKD.TKP.PEL", name="Pelayanan", parent_id=tkp.id)
        accounts.create_user(
            db.session, email="penulis@lain.id", full_name="Penulis", role="item_writer", password=PASSWORD
        )
        db.session.commit()
        assert db.session.scalar(select(func.count(Item.id))) == 0
    other_client = other.test_client()
    login(other_client, "penulis@lain.id")
    response = upload(other_client, package, "bank-soal-qti3.zip")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
