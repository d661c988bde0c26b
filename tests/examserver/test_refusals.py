"""Every refusal code raised anywhere has a message in the one registry."""

from __future__ import annotations

import re
from pathlib import Path

from examserver.errors import refusal_codes, refusal_message

ROOT = Path(__file__).resolve().parents[2]
RAISED = re.compile(r'Refusal\(\s*"([a-z_]+\.[a-z_0-9]+)"')


def test_every_raised_code_is_registered(app):
    raised = {
        code
        for package in ("examserver", "itembank", "proctoring")
        for path in (ROOT / package).rglob("*.py")
        for code in RAISED.findall(path.read_text())
    }
    assert len(raised) > 100
    with app.test_request_context():
        assert sorted(raised - refusal_codes()) == []


def test_parameters_fill_the_message(app):
    with app.test_request_context():
        text = refusal_message("selection.upload_too_large", limit=512)
        assert "512 KB" in text
        assert refusal_message("selection.no_such_code") == "Terjadi kesalahan (selection.no_such_code)."
