"""QTI 3.0 export and import: structure, round trip into an empty bank, hostile files."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from itembank.content import sanitise
from itembank.csv_format import portable_fragment
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.qti import (
    ITEM_RESOURCE_TYPE,
    MATCH_CORRECT,
    NS,
    export_package,
    item_to_qti,
    parse_package,
)
from itembank.qti.fragments import fill, inner_html
from itembank.services import Actor, create_item
from itembank.transfer import ImportRejected, import_drafts

Q = f"{{{NS}}}"

CONTENT = {
    "single_choice": dict(
        stem="<p>Sila pertama Pancasila &amp; makna <strong>Ketuhanan</strong>:</p><p>a &lt; b</p>",
        options=["Ketuhanan Yang Maha Esa", "Kemanusiaan <em>yang adil</em>", "Persatuan Indonesia", "5 > 3"],
        answer={"correct": "A"},
    ),
    "weighted_options": dict(
        stem="Rekan kerja Anda terlambat & meminta bantuan.\nApa yang Anda lakukan?",
        options=["Membantu", "Menolak", "Melapor", "Diam", "Menasihati"],
        answer={"weights": {"A": 5, "B": 1, "C": 3, "D": 2, "E": 4}},
    ),
    "multiple_response": dict(
        stem="<p>Pilih semua bilangan prima:</p><ul><li>satu</li><li>dua</li></ul>",
        options=["2", "3", "4", "5", "6", "7", "8", "9"],
        answer={"correct": ["A", "B", "D", "F"]},
    ),
    "true_false": dict(
        stem="Indonesia merdeka pada tahun 1945\u00a0M.",
        options=["Benar", "Salah"],
        answer={"correct": "A"},
    ),
    "numeric": dict(
        stem='<p>Berapa 12,5 × 4? Tabel:</p><table><tr><td colspan="2">"x"</td></tr></table>',
        options=[],
        answer={"value": 50.0, "tolerance": 0.25},
    ),
}


PARAMETERS = {
    "single_choice": (1.25, -0.5, 0.2),
    "weighted_options": (0.9, 0.1, None),
    "numeric": (2.0, 3.5, None),
}


@pytest.fixture
def writer(make_user):
    user = make_user("item_writer")
    return Actor(user.id, "item_writer")


def make_items(db_session, taxonomy, writer, parameters: bool = False) -> list[Item]:
    run = CalibrationRun(created_by_id=writer.id, source="demo", model="2pl", status="published", published_at=utcnow())
    items = []
    for type_key, content in CONTENT.items():
        leaf = "SKD.TKP.PEL" if type_key == "weighted_options" else "SKD.TWK.NAS"
        item = create_item(
            db_session,
            writer,
            competency_id=taxonomy[leaf].id,
            type_key=type_key,
            shuffle=type_key != "single_choice",
            status="approved" if type_key == "true_false" else "draft",
            **content,
        )
        if parameters and type_key in PARAMETERS:
            a, b, c = PARAMETERS[type_key]
            db_session.add(
                ItemParameter(item=item, run=run, version_number=1, model="2pl", a=a, b=b, c=c, is_current=True)
            )
        items.append(item)
    db_session.flush()
    return items


def snapshot(item: Item) -> dict:
    version = item.current_version
    return {
        "code": item.code,
        "type": item.item_type,
        "competency": item.competency.code,
        "shuffle": item.shuffle_options,
        "status": item.status,
        "parameters": (item.current_parameter.a, item.current_parameter.b, item.current_parameter.c)
        if item.current_parameter
        else None,
        "stem": version.stem,
        "options": version.options,
        "answer": version.answer,
    }


def count_items(db_session) -> int:
    return db_session.scalar(select(func.count(Item.id)))


def test_item_xml_follows_qti3(db_session, taxonomy, writer):
    items = make_items(db_session, taxonomy, writer)
    single, weighted, multiple, _, numeric = (ET.fromstring(item_to_qti(i, i.current_version)) for i in items)

    assert single.tag == f"{Q}qti-assessment-item"
    assert single.get("identifier") == items[0].code
    assert single.get("adaptive") == "false" and single.get("time-dependent") == "false"
    assert single.get("title").startswith("Sila pertama")
    declaration = single.find(f"{Q}qti-response-declaration")
    assert declaration.attrib == {
        "identifier": "RESPONSE",
        "cardinality": "single",
        "base-type": "identifier",
    }
    assert [v.text for v in declaration.iter(f"{Q}qti-value")] == ["A"]
    assert single.find(f"{Q}qti-outcome-declaration").get("identifier") == "SCORE"
    interaction = single.find(f"{Q}qti-item-body/{Q}qti-choice-interaction")
    assert interaction.get("shuffle") == "false" and interaction.get("max-choices") == "1"
    assert [c.get("identifier") for c in interaction] == ["A", "B", "C", "D"]
    assert single.find(f"{Q}qti-response-processing").get("template") == MATCH_CORRECT
    body = single.find(f"{Q}qti-item-body")
    assert body.get("data-itembank-type") == "single_choice"
    assert body.get("data-itembank-competency") == "SKD.TWK.NAS"

    mapping = weighted.find(f"{Q}qti-response-declaration/{Q}qti-mapping")
    entries = {e.get("map-key"): e.get("mapped-value") for e in mapping}
    assert entries == {"A": "5", "B": "1", "C": "3", "D": "2", "E": "4"}
    assert weighted.find(f"{Q}qti-response-processing").get("template").endswith("map_response.xml")

    assert multiple.find(f"{Q}qti-response-declaration").get("cardinality") == "multiple"
    assert multiple.find(f".//{Q}qti-choice-interaction").get("max-choices") == "0"

    assert numeric.find(f"{Q}qti-response-declaration").get("base-type") == "float"
    assert numeric.find(f".//{Q}qti-text-entry-interaction") is not None
    equal = numeric.find(f".//{Q}qti-equal")
    assert equal.get("tolerance-mode") == "absolute" and equal.get("tolerance") == "0.25"


@pytest.mark.parametrize("parameters", [False, True], ids=["content", "with-parameters"])
def test_package_round_trip_into_empty_bank(db_session, taxonomy, writer, parameters):
    savepoint = db_session.begin_nested()
    items = make_items(db_session, taxonomy, writer, parameters)
    expected = [snapshot(item) for item in items]
    package = export_package(items)
    savepoint.rollback()
    assert count_items(db_session) == 0

    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        resources = [r for r in manifest.iter() if r.tag.endswith("}resource")]
        assert {r.get("type") for r in resources} == {ITEM_RESOURCE_TYPE}
        hrefs = sorted(r.get("href") for r in resources)
        assert hrefs == sorted(name for name in archive.namelist() if name.startswith("items/"))

    drafts, errors = parse_package(package)
    assert errors == []
    assert [d.row for d in drafts] == [1, 2, 3, 4, 5]
    result = import_drafts(db_session, writer, drafts, note="impor QTI")
    db_session.commit()
    assert [snapshot(item) for item in result.items] == expected
    if parameters:
        models = {p.item.item_type: p.model for p in result.calibration_run.parameters}
        assert models == {"single_choice": "3pl", "weighted_options": "gpcm", "numeric": "2pl"}
    else:
        assert result.calibration_run is None


def test_a_single_item_file_imports(db_session, taxonomy, writer):
    savepoint = db_session.begin_nested()
    item = make_items(db_session, taxonomy, writer)[2]
    expected = snapshot(item)
    xml = item_to_qti(item, item.current_version).encode()
    savepoint.rollback()
    drafts, errors = parse_package(xml)
    assert errors == [] and drafts[0].source == "item.xml"
    imported = import_drafts(db_session, writer, drafts, note=None).items[0]
    assert snapshot(imported) == expected


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="ext-{n}"
    title="Dari alat lain" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="{cardinality}" base-type="identifier">
    <qti-correct-response><qti-value>ChoiceB</qti-value>{extra}</qti-correct-response>
    {mapping}
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Bacalah teks berikut.</p>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="true" max-choices="{max}">
      <qti-prompt>Manakah yang <em>benar</em>?</qti-prompt>
      <qti-simple-choice identifier="ChoiceA">Pertama</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceB">Kedua</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceC">Ketiga</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{template}"/>
</qti-assessment-item>
"""

FOREIGN_NUMERIC = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="ext-num"
    title="Angka" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="float">
    <qti-correct-response><qti-value>3.1416</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-item-body>
    <p>Nilai pi kira-kira <qti-text-entry-interaction response-identifier="RESPONSE"/> (dua desimal).</p>
  </qti-item-body>
  <qti-response-processing><qti-response-condition><qti-response-if>
    <qti-equal tolerance-mode="absolute" tolerance="{tolerance}">
      <qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/>
    </qti-equal>
    <qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">1</qti-base-value>
    </qti-set-outcome-value>
  </qti-response-if></qti-response-condition></qti-response-processing>
</qti-assessment-item>
"""


def foreign(n=1, cardinality="single", extra="", mapping="", max_choices=1, template="match_correct.xml"):
    return FOREIGN.format(
        n=n, cardinality=cardinality, extra=extra, mapping=mapping, max=max_choices, template=template
    )


def test_items_from_other_tools_are_inferred(db_session, taxonomy, writer):
    weights = (
        '<qti-mapping default-value="0"><qti-map-entry map-key="ChoiceA" mapped-value="1"/>'
        '<qti-map-entry map-key="ChoiceB" mapped-value="4"/></qti-mapping>'
    )
    files = {
        "a.xml": foreign(1),
        "b.xml": foreign(2, "multiple", "<qti-value>ChoiceC</qti-value>", max_choices=0),
        "c.xml": foreign(3, mapping=weights, template="map_response"),
        "d.xml": FOREIGN_NUMERIC.format(tolerance="0.005"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    drafts, errors = parse_package(buffer.getvalue(), default_competency="skd.twk.nas")
    assert errors == []
    single, multiple, weighted, numeric = drafts
    assert (single.code, single.type_key, single.competency_code) == ("EXT-1", "single_choice", "SKD.TWK.NAS")
    assert single.answer == {"correct": "B"} and single.shuffle is True
    assert [sanitise(option) for option in single.options] == ["Pertama", "Kedua", "Ketiga"]
    assert sanitise(single.stem) == "<p>Bacalah teks berikut.</p><p>Manakah yang <em>benar</em>?</p>"
    assert multiple.type_key == "multiple_response" and multiple.answer == {"correct": ["B", "C"]}
    assert weighted.type_key == "weighted_options"
    assert weighted.answer == {"weights": {"A": 1.0, "B": 4.0, "C": 0.0}}
    assert numeric.type_key == "numeric" and numeric.options == ()
    assert numeric.answer == {"value": 3.1416, "tolerance": 0.005}
    assert "Nilai pi kira-kira" in numeric.stem and "dua desimal" in numeric.stem
    items = import_drafts(db_session, writer, drafts, note="dari alat lain").items
    assert items[3].current_version.answer == {"value": 3.1416, "tolerance": 0.005}


def test_one_bad_item_in_a_package_writes_nothing(db_session, taxonomy, writer):
    savepoint = db_session.begin_nested()
    items = make_items(db_session, taxonomy, writer)
    package = export_package(items)
    savepoint.rollback()
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(f"{items[3].code}.xml"):
                data = data.replace(b"<qti-value>A</qti-value>", b"<qti-value>Z</qti-value>")
            target.writestr(info, data)
    before = count_items(db_session)
    drafts, errors = parse_package(broken.getvalue())
    assert errors == []
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, drafts, note=None)
    [error] = rejected.value.errors
    assert (error.row, error.code, error.source) == (4, "answer_not_an_option", f"items/{items[3].code}.xml")
    assert count_items(db_session) == before


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x">
&xxe;</qti-assessment-item>
"""
LAUGHS = (
    b'<?xml version="1.0"?>\n<!doctype lolz [<!entity lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]><lolz>&lol9;</lolz>"
)
ITEM = foreign().encode()


@pytest.mark.parametrize(
    "data, expected",
    [
        (XXE, [(1, "file", "xml_doctype", "item.xml")]),
        (LAUGHS, [(1, "file", "xml_doctype", "item.xml")]),
        (ITEM.replace(b"UTF-8", b"UTF-16"), [(1, "file", "xml_encoding", "item.xml")]),
        (b"\xff\xfe" + foreign().encode("utf-16-le"), [(1, "file", "xml_encoding", "item.xml")]),
        (b"<qti-assessment-item><unclosed>", [(1, "file", "xml_malformed", "item.xml")]),
        (b"<a>" * 100 + b"</a>" * 100, [(1, "file", "xml_too_deep", "item.xml")]),
        (ITEM.replace(b"imsqtiasi_v3p0", b"imsqti_v2p1"), [(1, "item", "not_qti3_item", "item.xml")]),
        (b" " * (20 * 1024 * 1024 + 1), [(0, "file", "file_too_large", "")]),
        (b"PK\x03\x04 not really a zip", [(0, "file", "zip_malformed", "")]),
        (zipped({"../evil.xml": ITEM}), [(0, "file", "zip_unsafe_name", "../evil.xml")]),
        (zipped({"/etc/evil.xml": ITEM}), [(0, "file", "zip_unsafe_name", "/etc/evil.xml")]),
        (zipped({"a\\..\\b.xml": ITEM}), [(0, "file", "zip_unsafe_name", "a\\..\\b.xml")]),
        (zipped({"bomb.xml": b"\0" * (21 * 1024 * 1024)}), [(0, "file", "file_too_large", "")]),
        (zipped({"a.xml": XXE, "b.xml": ITEM}), [(1, "file", "xml_doctype", "a.xml")]),
        (zipped({"readme.txt": b"hi"}), [(0, "file", "no_items", "")]),
        (
            foreign()
            .replace(
                '<qti-simple-choice identifier="ChoiceC">Ketiga</qti-simple-choice>',
                "".join(f'<qti-simple-choice identifier="X{i}">{i}</qti-simple-choice>' for i in range(30)),
            )
            .encode(),
            [(1, "item", "option_count", "item.xml")],
        ),
        (
            zipped(
                {
                    "imsmanifest.xml": b'<manifest><resources><resource type="imsqti_item_xmlv3p0" '
                    b'href="../../x.xml"/><resource type="imsqti_item_xmlv3p0" href="gone.xml"/>'
                    b"</resources></manifest>"
                }
            ),
            [
                (0, "manifest", "zip_unsafe_name", "imsmanifest.xml"),
                (0, "manifest", "manifest_missing_file", "imsmanifest.xml"),
            ],
        ),
    ],
    ids=[
        "xxe",
        "billion-laughs",
        "declared-utf16",
        "utf16",
        "malformed",
        "deep",
        "qti21",
        "oversized",
        "not-a-zip",
        "dotdot",
        "absolute",
        "backslash",
        "zip-bomb",
        "one-bad-file",
        "no-items",
        "options",
        "manifest",
    ],
)
def test_hostile_or_broken_files_give_clean_errors(data, expected):
    drafts, errors = parse_package(data)
    assert [(e.row, e.field, e.code, e.source) for e in errors] == expected
    assert all(error.message for error in errors)
    if expected[0][3] != "a.xml":
        assert drafts == []


def test_a_zip_entry_that_lies_about_its_size_is_caught():
    data = bytearray(zipped({"item.xml": b"<a>" + b" " * (21 * 1024 * 1024) + b"</a>"}))
    # Shrink the declared sizes in both headers: the reader must count what it actually unpacks.
    real = (21 * 1024 * 1024 + 7).to_bytes(4, "little")
    data = bytes(data).replace(real, (100).to_bytes(4, "little"))
    drafts, errors = parse_package(data)
    assert drafts == [] and [(e.row, e.code) for e in errors] == [(0, "zip_malformed")]


FRAGMENT_PARTS = st.sampled_from(
    [
        "a",
        " ",
        "&",
        "<",
        ">",
        '"',
        "'",
        "é",
        "\u00a0",
        "\n",
        "<b>",
        "</b>",
        "<p>",
        "</p>",
        "<br>",
        "&amp;",
        "&nbsp;",
        "<ul><li>",
        "</li></ul>",
        "<td colspan=2>",
        "<script>",
        "=",
        "1,5",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FRAGMENT_PARTS, min_size=1, max_size=25))
def test_any_sanitised_fragment_survives_qti_and_csv(parts):
    """Whatever nh3 keeps of a stem comes back identical through the XML and through a CSV cell."""
    fragment = sanitise("".join(parts))
    element = ET.Element(f"{Q}div")
    assert sanitise(inner_html(fill(element, fragment))) == fragment
    assert sanitise(portable_fragment(fragment)) == fragment
