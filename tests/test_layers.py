"""The domain packages never depend on the web layer (and scoring never on the database)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "itembank": {"flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "werkzeug", "examserver"},
    "proctoring": {"flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "werkzeug", "examserver"},
    "scoring": {
        "flask",
        "flask_sqlalchemy",
        "werkzeug",
        "examserver",
        "sqlalchemy",
        "itembank",
        "proctoring",
    },
}


def modules_of(package: str) -> list[str]:
    names = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_static_imports(package):
    """No module of the package names a forbidden package in an import statement."""
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {r}" for r in roots if r in FORBIDDEN[package]
            ]
    assert offenders == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_runtime_imports(package):
    """Importing every module of the package (in a fresh interpreter) loads nothing forbidden."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules_of(package)!r}:\n"
        "    if name.endswith('__main__'):\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert loaded & FORBIDDEN[package] == set()
