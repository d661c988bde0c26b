"""CSV export and import: exact round trip, what Excel writes, and every unreadable row."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from itembank.csv_format import HEADER, export_csv, parse_csv
from itembank.database import utcnow
from itembank.item_types import format_number as plain_number
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.services import Actor, create_item
from itembank.transfer import ImportRejected, import_drafts

CONTENT = {
    "single_choice": dict(
        stem="<p>Sila pertama &amp; kedua: <strong>Ketuhanan</strong></p><p>a &lt; b</p>",
        options=["Ketuhanan Yang Maha Esa", "Kemanusiaan, <em>adil</em>; beradab", '"Persatuan"', "=1+1"],
        answer={"correct": "D"},
    ),
    "weighted_options": dict(
        stem="Rekan terlambat & meminta bantuan;\nsikap Anda?",
        options=["Membantu", "Menolak", "Melapor", "Diam", "-Menasihati"],
        answer={"weights": {"A": 5, "B": 1, "C": 3, "D": 2, "E": 4}},
    ),
    "multiple_response": dict(
        stem="<p>Pilih semua bilangan prima:</p>\n<p>(boleh lebih dari satu)</p>",
        options=["2", "3", "4", "5", "6", "7", "8", "9"],
        answer={"correct": ["A", "B", "D", "F"]},
    ),
    "true_false": dict(stem="Indonesia merdeka pada 1945\u00a0M.", options=["Benar", "Salah"], answer={"correct": "B"}),
    "numeric": dict(stem="<p>Hitung 0,1 × 12.345.678</p>", options=[], answer={"value": 1234567.8, "tolerance": 0.05}),
}
PARAMETERS = {
    "single_choice": (1.25, -0.5, 0.2),
    "weighted_options": (0.9, 0.1, None),
    "numeric": (2.0, 1e-05, None),
}


@pytest.fixture
def writer(make_user):
    user = make_user("item_writer")
    return Actor(user.id, "item_writer")


def make_items(db_session, taxonomy, writer) -> list[Item]:
    items = []
    run = CalibrationRun(created_by_id=writer.id, source="demo", model="2pl", status="published", published_at=utcnow())
    for type_key, content in CONTENT.items():
        leaf = "SKD.TKP.PEL" if type_key == "weighted_options" else "SKD.TWK.NAS"
        item = create_item(
            db_session,
            writer,
            competency_id=taxonomy[leaf].id,
            type_key=type_key,
            shuffle=type_key != "multiple_response",
            **content,
        )
        if type_key in PARAMETERS:
            a, b, c = PARAMETERS[type_key]
            db_session.add(
                ItemParameter(item=item, run=run, version_number=1, model="2pl", a=a, b=b, c=c, is_current=True)
            )
        items.append(item)
    db_session.flush()
    return items


def snapshot(item: Item) -> dict:
    version, parameter = item.current_version, item.current_parameter
    return {
        "code": item.code,
        "type": item.item_type,
        "competency": item.competency.code,
        "shuffle": item.shuffle_options,
        "stem": version.stem,
        "options": version.options,
        "answer": version.answer,
        "parameters": (parameter.a, parameter.b, parameter.c) if parameter else None,
    }


def count_items(db_session) -> int:
    return db_session.scalar(select(func.count(Item.id)))


def header(delimiter: str = ",") -> str:
    return delimiter.join(HEADER)


def row(delimiter: str = ",", **cells) -> str:
    values = {"competency": "SKD.TWK.NAS", "type": "single_choice", "stem": "Soal", "answer": "A"}
    values.update(option_a="Satu", option_b="Dua", option_c="Tiga")
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow([values.get(n, "") for n in HEADER])
    return out.getvalue()


def codes_of(errors) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.code) for e in errors]


def test_round_trip_into_an_empty_bank(db_session, taxonomy, writer):
    savepoint = db_session.begin_nested()
    items = make_items(db_session, taxonomy, writer)
    expected = [snapshot(item) for item in items]
    text = export_csv(items)
    savepoint.rollback()
    db_session.expunge_all()  # as a new request would: nothing of the rolled-back bank stays mapped
    assert count_items(db_session) == 0

    assert text.splitlines()[0] == ",".join(HEADER)
    assert "'=1+1" in text and "'-Menasihati" in text  # no formulas when opened in a spreadsheet
    drafts, errors = parse_csv(text.encode("utf-8-sig"))
    assert errors == []
    assert [d.row for d in drafts] == [2, 3, 4, 6, 7]  # the multiple-response stem spans two lines
    result = import_drafts(db_session, writer, drafts, note="impor CSV")
    db_session.commit()
    assert [snapshot(item) for item in result.items] == expected


def test_excel_style_semicolons_bom_and_decimal_commas(db_session, taxonomy, writer):
    text = "\r\n".join(
        [
            header(";"),
            row(
                ";",
                code="TWK-010",
                stem="Berapa 2,5 + 2,5?",
                type="numeric",
                answer="5,0±0,1",
                a="1,2",
                b="-0,5",
                option_a="",
                option_b="",
                option_c="",
            ),
            row(";", code="TWK-011", shuffle="tidak", status="in_review", option_e="  ", option_h=""),
        ]
    )
    drafts, errors = parse_csv(text.encode("utf-8-sig"))
    assert errors == []
    numeric, choice = drafts
    assert numeric.answer == {"value": 5.0, "tolerance": 0.1} and (numeric.a, numeric.b) == (1.2, -0.5)
    assert numeric.options == ()
    assert choice.options == ("Satu", "Dua", "Tiga") and choice.shuffle is False
    assert choice.status == "in_review" and choice.row == 3
    items = import_drafts(db_session, writer, drafts, note=None).items
    assert items[1].current_version.options == ["Satu", "Dua", "Tiga"]


def test_unreadable_rows_are_all_reported(db_session, taxonomy, writer):
    text = "\n".join(
        [
            header(),
            row(code="OK-1"),
            row(type="essay"),
            row(a="tinggi", b="0"),
            row(answer="Q"),
            "SKD.TWK.NAS,single_choice,too,few",
            "",
            row(type="weighted_options", answer="A:5;B:x;C:1"),
            row(shuffle="mungkin"),
            row(code="OK-2"),
        ]
    )
    drafts, errors = parse_csv(text.encode())
    assert codes_of(errors) == [
        (3, "type", "type_unknown"),
        (4, "a", "not_a_number"),
        (5, "answer", "answer_not_an_option"),
        (6, "row", "column_count"),
        (8, "answer", "weight_not_integer"),
        (9, "shuffle", "not_a_boolean"),
    ]
    assert [d.code for d in drafts] == ["OK-1", "OK-2"] and [d.row for d in drafts] == [2, 10]
    before = count_items(db_session)
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, drafts, note=None, prior_errors=errors)
    assert [e.row for e in rejected.value.errors] == [3, 4, 5, 6, 8, 9]
    assert count_items(db_session) == before


def test_a_bad_row_found_by_validation_writes_nothing(db_session, taxonomy, writer):
    text = "\n".join([header(), row(code="OK-1"), row(competency="SKD.NOPE"), row(code="OK-2")])
    drafts, errors = parse_csv(text.encode())
    assert errors == []
    before = count_items(db_session)
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, drafts, note=None)
    assert codes_of(rejected.value.errors) == [(3, "competency", "competency_unknown")]
    assert count_items(db_session) == before


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", [(1, "file", "file_empty")]),
        (header().encode() + b"\r\n", [(1, "file", "file_empty")]),
        (b"\xef\xbb\xbf" + header().encode() + b"\n\n,,,\n", [(1, "file", "file_empty")]),
        (header().encode() + b"\n" + row(stem="caf\xe9").encode("latin-1"), [(2, "file", "encoding")]),
        (b"\xff\xfe" + header().encode("utf-16-le"), [(1, "file", "encoding")]),
        (b"code,competency,type,stem\n", [(1, "answer", "header_missing_column")]),
        (header().encode() + b",extra\n", [(1, "extra", "header_unknown_column")]),
        (header().encode() + b"\n" + b'"unterminated,x', [(2, "file", "csv_malformed")]),
        (b"x" * (5 * 1024 * 1024 + 1), [(0, "file", "file_too_large")]),
    ],
    ids=["empty", "header-only", "blank-rows", "latin-1", "utf-16", "missing", "unknown", "quote", "large"],
)
def test_broken_files_give_clean_errors(data, expected):
    drafts, errors = parse_csv(data)
    assert drafts == [] and codes_of(errors) == expected
    assert all(error.message for error in errors)


def test_too_many_rows():
    line = row().encode()
    drafts, errors = parse_csv(header().encode() + b"\n" + b"\n".join([line] * 20_001))
    assert len(drafts) == 20_000
    assert codes_of(errors) == [(20_002, "file", "too_many_rows")]


@pytest.mark.parametrize("value", [0.1, 5.0, -3.25, 1234567.8, 1e-05, 1e20, 2.5e-12])
def test_numbers_are_written_without_exponents(value):
    text = plain_number(value)
    assert "e" not in text.lower() and float(text) == value
