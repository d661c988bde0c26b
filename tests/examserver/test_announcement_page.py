"""The public announcement page as people read it: positions by name, scores at the one score
precision, and the signed CSV untouched."""

from __future__ import annotations

from sqlalchemy import select

from examserver.extensions import db
from examserver.selection.announcements import readable_scores
from examserver.selection.models import Announcement


def _basic_announcement(demo_app) -> Announcement:
    with demo_app.app_context():
        return db.session.scalars(select(Announcement).where(Announcement.stage == "basic")).first()


def test_the_page_names_positions_and_shows_scores_with_two_decimals_while_the_csv_stays(demo_app):
    """The position column reads as the vacancy page names it, with its code; scores read "135,00"
    as everywhere else; the CSV keeps the bare code and three decimals, byte for byte as signed."""
    item = _basic_announcement(demo_app)
    client = demo_app.test_client()
    page = client.get(f"/seleksi/pengumuman/{item.id}").get_data(as_text=True)
    table = page.split("<table>", 1)[1].split("</table>", 1)[0]
    assert "<td>Analis Keuangan Ahli Pertama (ANALIS-KEU)</td>" in table and "<td>ANALIS-KEU</td>" not in table
    assert "<td>420,00</td>" in table and "420,000" not in table
    csv_file = client.get(f"/seleksi/pengumuman/{item.id}/pengumuman.csv").data
    assert csv_file == item.csv_text.encode()
    assert b",ANALIS-KEU,general," in csv_file and b",420.000," in csv_file


def test_scores_that_differ_only_in_the_third_decimal_keep_it_so_the_ranks_stay_explained(app):
    """The ranking compares final scores to six decimals: two that read the same at two decimals
    would make the higher rank look arbitrary, so that column keeps the decimals the CSV signs."""
    rows = [["1", "76.964", "350.000"], ["2", "76.961", "340.000"], ["3", "70.500", ""]]
    with app.test_request_context():
        assert readable_scores(rows) == [
            ["1", "76,964", "350,00"],
            ["2", "76,961", "340,00"],
            ["3", "70,500", ""],
        ]
