"""Every JSON reply goes through orjson (examserver/__init__.py JSONProvider), ``jsonify`` included:
Flask asks for compact separators outside debug mode, which had sent every reply to the standard
library's encoder."""

from __future__ import annotations

from flask import jsonify


def test_jsonify_replies_are_written_by_orjson(app):
    with app.test_request_context():
        body = jsonify(b=1, a="Jawaban tersimpan — é").get_data(as_text=True)
    # orjson writes UTF-8 and no spaces; the standard library's default would escape the é as \\u00e9.
    assert body.strip() == '{"a":"Jawaban tersimpan — é","b":1}'


def test_indented_output_still_goes_to_flasks_encoder(app):
    assert app.json.dumps({"b": 1, "a": 2}, indent=2) == '{\n  "a": 2,\n  "b": 1\n}'
