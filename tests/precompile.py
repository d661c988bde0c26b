"""Compile what a test run imports, once, before pytest-xdist's workers start (``make test``).

Every worker imports every test module to collect it, and every server the tests start imports the
project. Without cached bytecode each of them compiles the project's modules, and each worker
rewrites the asserts of all the test modules (pytest's assertion rewriting: parse, rewrite, compile),
the four at once on a fresh clone, since none finds a cache the others have not written yet: about
5 s of CPU per worker, a tenth of a fresh clone's suite on 2 cores. Here each file is compiled once,
on every core:

- the project's modules into ordinary ``.pyc`` files (:mod:`compileall`);
- the test modules and conftest files into the ``.pyc`` files pytest's import hook reads back
  (``<name>.<cache tag>-pytest-<version>.pyc``), written by pytest's own functions so that the hook
  takes them as its own; a file whose cache is current is left alone.

Nothing here is needed for correctness: where pytest's internals differ from what this expects, the
rewriting is skipped with a note and pytest rewrites the modules itself as before.
"""

from __future__ import annotations

import compileall
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ["examserver", "itembank", "proctoring", "scoring", "tests", "wsgi.py"]


def test_modules() -> list[Path]:
    """The files pytest rewrites in this suite: its default ``python_files`` and the conftests."""
    tests = ROOT / "tests"
    return sorted({*tests.rglob("test_*.py"), *tests.rglob("*_test.py"), *tests.rglob("conftest.py")})


def rewrite(path: Path) -> bool:
    """Write ``path``'s rewritten bytecode where pytest's hook looks for it; False if it was current."""
    from _pytest.assertion import rewrite as pytest_rewrite

    pyc = pytest_rewrite.get_cache_dir(path) / (path.name[:-3] + pytest_rewrite.PYC_TAIL)
    quiet = types.SimpleNamespace(trace=lambda message: None)
    if pytest_rewrite._read_pyc(path, pyc, quiet.trace) is not None:
        return False
    pytest_rewrite.try_makedirs(pyc.parent)
    source_stat, code = pytest_rewrite._rewrite_test(path, None)
    return pytest_rewrite._write_pyc(quiet, code, source_stat, pyc)


def main() -> int:
    if sys.dont_write_bytecode:
        print("precompile: PYTHONDONTWRITEBYTECODE is set, nothing to do")
        return 0
    for name in PROJECT:
        target = ROOT / name
        compiled = (
            compileall.compile_dir(target, quiet=1, workers=0)
            if target.is_dir()
            else compileall.compile_file(target, quiet=1)
        )
        if not compiled:
            return 1
    paths = test_modules()
    try:
        with ProcessPoolExecutor() as pool:
            written = sum(pool.map(rewrite, paths, chunksize=8))
    except (ImportError, AttributeError, TypeError) as error:  # pytest's internals moved: pytest rewrites
        print(f"precompile: assertion rewriting left to pytest ({error!r})")
        return 0
    print(f"precompile: {written} of {len(paths)} test modules rewritten for pytest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
