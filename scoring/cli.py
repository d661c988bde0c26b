"""Command line of the psychometric engine: ``python -m scoring calibrate|score|simulate``.

Input CSV: a header row; the first column is the person id, the other columns are item ids; a
blank cell means "not administered". Every problem with the input ends the program with a
one-line message on stderr naming the line and column, and a non-zero exit status (1 for bad
data, 2 for bad usage).

Model (logistic metric, D = 1): ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .ability import METHODS, estimate_ability
from .calibration import MMLCalibrator
from .models import MODELS, ItemParameters, LatentDistribution
from .quadrature import rectangular
from .simulate import simulate

__all__ = ["InputError", "main", "read_responses"]


class InputError(Exception):
    """Bad input: the message is one line naming the file, line and column."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        self.exit(2, f"error: {message}\n")


def read_responses(path: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """Read a responses CSV.

    Parameters
    ----------
    path : str or Path
        Header ``person_id,item1,item2,...``; blank cell = not administered.

    Returns
    -------
    person_ids : list of str
    item_ids : list of str
    responses : ndarray of shape (n_persons, n_items); NaN = not administered

    Raises
    ------
    InputError
        Empty file, no data rows, ragged rows, duplicate ids or non-numeric cells, with the
        line number (1 = header) and column name.
    """
    name = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{name}: cannot read the file ({error.strerror}).") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise InputError(f"{name} is empty.")
        header = [h.strip() for h in header]
        if len(header) < 2:
            raise InputError(f"{name} line 1: expected a person id column and at least one item column.")
        items = header[1:]
        for col, item in enumerate(items, start=2):
            if not item:
                raise InputError(f"{name} line 1, column {col}: the item id is blank.")
        if len(set(items)) != len(items):
            dup = next(i for i in items if items.count(i) > 1)
            raise InputError(f"{name} line 1: item id {dup!r} appears twice.")
        persons: list[str] = []
        rows: list[list[float]] = []
        for line, row in enumerate(reader, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{name} line {line}: {len(row)} cells, expected {len(header)}.")
            values = []
            for item, cell in zip(items, row[1:], strict=True):
                text = cell.strip()
                if not text:
                    values.append(math.nan)
                    continue
                try:
                    value = float(text)
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    where = f"{name} line {line} (person {row[0].strip()}), column {item}"
                    raise InputError(f"{where}: {text!r} is not a number.")
                values.append(value)
            persons.append(row[0].strip())
            rows.append(values)
    if not rows:
        raise InputError(f"{name} has a header but no data rows.")
    return persons, items, np.array(rows, dtype=float)


def _check_categories(name, persons, items, x, models, n_categories) -> None:
    """One-line error for the first value that is not a category of its item."""
    for j, item in enumerate(items):
        col = x[:, j]
        k = n_categories[j]
        bad = ~np.isnan(col) & ((col != np.round(col)) | (col < 0) | (col > k - 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            allowed = "0 or 1" if k == 2 else f"an integer 0..{k - 1}"
            raise InputError(
                f"{name} line {i + 2} (person {persons[i]}), column {item}: value {col[i]:g} is not a "
                f"category of a {models[j]} item (expected {allowed})."
            )


def _calibrate(args) -> int:
    persons, items, x = read_responses(args.input)
    models = [args.model] * len(items)
    if MODELS[args.model].polytomous:
        _check_categories(args.input, persons, items, x, models, [10**9] * len(items))
        k = [
            max(int(np.nanmax(x[:, j])) + 1 if np.isfinite(x[:, j]).any() else 2, 2)
            for j in range(len(items))
        ]
    else:
        k = [2] * len(items)
    _check_categories(args.input, persons, items, x, models, k)
    anchors = None
    if args.anchors:
        anchors = _read_params(args.anchors)[0]
    estimator = MMLCalibrator(
        args.model,
        quadrature=rectangular(args.quadrature, 6.0),
        max_iter=args.max_iter,
        tol=args.tol,
        se_method=None if args.se == "none" else args.se,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(x, item_ids=items, anchors=anchors)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    Path(args.output).write_text(json.dumps(estimator.to_dict(), indent=2, allow_nan=False) + "\n")
    r = estimator.result_
    print(
        f"calibrated {len(items)} items on {r.n_persons} persons: loglik {r.loglik:.3f}, "
        f"{r.iterations} EM steps, converged={r.converged}"
    )
    return 0


def _read_params(path: str) -> tuple[ItemParameters, LatentDistribution]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror}).") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path} line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with an 'items' list.")
    try:
        params = ItemParameters.from_dict(data)
    except ValueError as error:
        raise InputError(f"{path}: {error}") from None
    groups = data.get("groups") or [{}]
    return params, LatentDistribution.from_dict(groups[0])


def _score(args) -> int:
    params, prior = _read_params(args.params)
    persons, items, x = read_responses(args.input)
    known = {item: j for j, item in enumerate(params.ids)}
    for col, item in enumerate(items, start=2):
        if item not in known:
            raise InputError(f"{args.input} line 1, column {col}: item {item!r} is not in {args.params}.")
    full = np.full((x.shape[0], params.n_items), np.nan)
    full[:, [known[i] for i in items]] = x
    usable = np.isfinite(params.a) & np.isfinite(params.thresholds[:, 0])
    _check_categories(
        args.input,
        persons,
        items,
        x,
        [params.models[known[i]] for i in items],
        [int(params.n_categories[known[i]]) for i in items],
    )
    est = estimate_ability(full[:, usable], params.subset(np.flatnonzero(usable)), args.method, prior=prior)
    with open(args.output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", "theta", "se"])
        for pid, t, s in zip(persons, est.theta, est.se, strict=True):
            writer.writerow(
                [pid, "" if not np.isfinite(t) else f"{t:.6f}", "" if not np.isfinite(s) else f"{s:.6f}"]
            )
    print(f"scored {len(persons)} persons with {args.method.upper()}")
    return 0


def _simulate(args) -> int:
    if args.persons < 1 or args.items < 1:
        raise InputError("--persons and --items must be positive.")
    if args.fraction_administered is not None and not 0 < args.fraction_administered <= 1:
        raise InputError("--fraction-administered must be in (0, 1].")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    data = simulate(
        args.persons,
        args.items,
        args.model,
        rng=args.seed,
        fraction_administered=args.fraction_administered,
        n_categories=args.categories,
    )
    ids = list(data.params.ids)
    with open(out / "responses.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", *ids])
        for i, row in enumerate(data.responses):
            writer.writerow([f"P{i + 1:07d}", *("" if np.isnan(v) else str(int(v)) for v in row)])
    truth = {
        "model": args.model,
        "seed": args.seed,
        **data.params.to_dict(),
        "groups": [LatentDistribution().to_dict()],
    }
    (out / "true_params.json").write_text(json.dumps(truth, indent=2) + "\n")
    with open(out / "theta.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", "theta"])
        for i, t in enumerate(data.theta):
            writer.writerow([f"P{i + 1:07d}", f"{t:.6f}"])
    print(f"wrote {out / 'responses.csv'}, {out / 'true_params.json'} and {out / 'theta.csv'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m scoring``."""
    parser = _Parser(prog="python -m scoring", description="IRT calibration, scoring and simulation.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cal = sub.add_parser("calibrate", help="estimate item parameters by MML-EM")
    cal.add_argument("--model", required=True, choices=list(MODELS))
    cal.add_argument("input")
    cal.add_argument("--output", required=True)
    cal.add_argument("--anchors", help="params.json of bank items held fixed (fixed-parameter calibration)")
    cal.add_argument("--quadrature", type=int, default=41, help="number of quadrature nodes on [-6, 6]")
    cal.add_argument("--max-iter", type=int, default=2000)
    cal.add_argument("--tol", type=float, default=1e-4)
    cal.add_argument("--se", choices=["xpd", "oakes", "none"], default="xpd")
    cal.set_defaults(run=_calibrate)
    sco = sub.add_parser("score", help="estimate abilities")
    sco.add_argument("--params", required=True)
    sco.add_argument("input")
    sco.add_argument("--method", choices=list(METHODS), default="eap")
    sco.add_argument("--output", required=True)
    sco.set_defaults(run=_score)
    sim = sub.add_parser("simulate", help="simulate responses and true parameters")
    sim.add_argument("--model", required=True, choices=list(MODELS))
    sim.add_argument("--persons", type=int, required=True)
    sim.add_argument("--items", type=int, required=True)
    sim.add_argument("--fraction-administered", type=float, default=None)
    sim.add_argument("--categories", type=int, default=4, help="categories of polytomous items")
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--output", required=True)
    sim.set_defaults(run=_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 bad input, 2 bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
