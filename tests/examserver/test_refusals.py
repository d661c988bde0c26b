"""Every refusal code raised anywhere has a message in the one registry."""

from __future__ import annotations

import ast
from pathlib import Path

from examserver.errors import refusal_codes, refusal_message

ROOT = Path(__file__).resolve().parents[2]


def literal_codes(node: ast.expr) -> list[str]:
    """The codes a refusal's first argument can take when it is written out: a string, or either
    branch of a conditional (``"a" if x else "b"``); a code passed on in a variable is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return literal_codes(node.body) + literal_codes(node.orelse)
    return []


def raised_codes() -> set[str]:
    codes = set()
    for package in ("examserver", "itembank", "proctoring"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Refusal" and node.args:
                    codes.update(literal_codes(node.args[0]))
    return codes


def test_every_raised_code_is_registered(app):
    raised = raised_codes()
    assert len(raised) > 100
    with app.test_request_context():
        assert sorted(raised - refusal_codes()) == []


def test_the_scan_reads_both_branches_of_a_conditional_code():
    call = ast.parse('Refusal("delivery.session_ended" if ended else "not_started")').body[0].value
    assert literal_codes(call.args[0]) == ["delivery.session_ended", "not_started"]


def test_parameters_fill_the_message(app):
    with app.test_request_context():
        text = refusal_message("selection.upload_too_large", limit=512)
        assert "512 KB" in text
        assert refusal_message("selection.no_such_code") == "Terjadi kesalahan (selection.no_such_code)."
