"""Command line of the psychometric engine: ``python -m scoring calibrate|score|simulate|simulate-cat|dif``.

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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from .ability import METHODS, estimate_ability
from .arrays import BoolArray, FloatArray
from .calibration import MMLCalibrator
from .cat import (
    EXPOSURE_RULES,
    SELECTION_RULES,
    Bank,
    CATError,
    CATRules,
    ContentBalancing,
    MaxLength,
    StandardErrorStop,
    StoppingRule,
)
from .cat_simulation import CATSimulation, ConditionalRow, fit_sympson_hetter, simulate_cat
from .dif import likelihood_ratio_dif, mantel_haenszel
from .models import MODELS, ItemParameters, LatentDistribution
from .quadrature import rectangular
from .simulate import simulate

__all__ = ["InputError", "main", "read_responses"]


class InputError(Exception):
    """Bad input: the message is one line naming the file, line and column."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        self.exit(2, f"error: {message}\n")


def read_responses(path: str | Path) -> tuple[list[str], list[str], FloatArray]:
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
        header = _read_header(reader, name)
        items = header[1:]
        persons: list[str] = []
        rows: list[list[float]] = []
        for line, row in enumerate(reader, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{name} line {line}: {len(row)} cells, expected {len(header)}.")
            rows.append(_parse_row(row, items, f"{name} line {line} (person {row[0].strip()})"))
            persons.append(row[0].strip())
    if not rows:
        raise InputError(f"{name} has a header but no data rows.")
    return persons, items, np.array(rows, dtype=float)


def _read_header(reader: Iterator[list[str]], name: str) -> list[str]:
    """The first non-blank row, stripped: a person id column and unique, non-blank item ids."""
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
    return header


def _parse_row(row: list[str], items: list[str], where: str) -> list[float]:
    """The response cells of one data row as floats; blank = NaN (not administered)."""
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
            raise InputError(f"{where}, column {item}: {text!r} is not a number.")
        values.append(value)
    return values


def _check_categories(
    name: str,
    persons: Sequence[str],
    items: Sequence[str],
    x: FloatArray,
    models: Sequence[str],
    n_categories: Sequence[int],
) -> None:
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


def _calibrate(args: argparse.Namespace) -> int:
    persons, items, x = read_responses(args.input)
    models = [args.model] * len(items)
    if MODELS[args.model].polytomous:
        _check_categories(args.input, persons, items, x, models, [10**9] * len(items))
        k = [max(int(np.nanmax(x[:, j])) + 1 if np.isfinite(x[:, j]).any() else 2, 2) for j in range(len(items))]
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
        raise InputError(f"{path} line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}).") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with an 'items' list.")
    try:
        params = ItemParameters.from_dict(data)
    except ValueError as error:
        raise InputError(f"{path}: {error}") from None
    groups = data.get("groups") or [{}]
    return params, LatentDistribution.from_dict(groups[0])


def _score(args: argparse.Namespace) -> int:
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
            writer.writerow([pid, "" if not np.isfinite(t) else f"{t:.6f}", "" if not np.isfinite(s) else f"{s:.6f}"])
    print(f"scored {len(persons)} persons with {args.method.upper()}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
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


def _read_bank_extras(path: str, params: ItemParameters) -> tuple[list[str] | None, BoolArray]:
    """Optional per-item ``category`` and ``pilot`` keys of a params.json."""
    items = json.loads(Path(path).read_text(encoding="utf-8"))["items"]
    categories = [str(item.get("category", "")) for item in items]
    pilot = np.array([bool(item.get("pilot", False)) for item in items])
    return (categories if any(categories) else None), pilot


def _parse_blueprint(text: str) -> dict[str, int]:
    targets = {}
    for part in text.split(","):
        name, sep, count = part.partition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise InputError(f"--blueprint: expected CATEGORY=COUNT pairs separated by commas, got {part.strip()!r}.")
        targets[name.strip()] = int(count)
    return targets


def _bin_centre(row: ConditionalRow) -> float:
    """Middle of a 0.5-wide bin of θ; an open outer bin is drawn as if it were 0.5 wide too."""
    if row["low"] is not None:
        return row["low"] + 0.25
    if row["high"] is not None:
        return row["high"] - 0.25
    return 0.0  # one bin holding every θ


def _plot_simulation(sim: CATSimulation, out: Path, target: float | None) -> list[Path]:
    """conditional_sem.png and exposure.png (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sim.conditional(np.arange(-3.0, 3.01, 0.5))
    centre = [_bin_centre(r) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(centre, [r["mean_se"] for r in rows], "o-", label="mean SE (reported)")
    ax.plot(centre, [r["rmse"] for r in rows], "s--", label="RMSE (observed)")
    ax.set_xlabel("true θ (bins of 0.5)")
    ax.set_ylabel("standard error of θ")
    ax.set_title("Conditional standard error of measurement")
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    sem_path = out / "conditional_sem.png"
    fig.savefig(sem_path)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    rates = np.sort(sim.exposure)[::-1]
    ax.plot(np.arange(1, rates.shape[0] + 1), rates, drawstyle="steps-post")
    if target is not None:
        ax.axhline(target, color="red", linestyle=":", label=f"target {target:g}")
        ax.legend()
    ax.set_xlabel("items, most exposed first")
    ax.set_ylabel("exposure rate")
    ax.set_title(f"Item exposure (max {rates[0]:.3f}, {int((rates == 0).sum())} items unused)")
    fig.tight_layout()
    exposure_path = out / "exposure.png"
    fig.savefig(exposure_path)
    plt.close(fig)
    return [sem_path, exposure_path]


def _simulate_cat(args: argparse.Namespace) -> int:
    if args.examinees < 1:
        raise InputError("--examinees must be positive.")
    params, prior = _read_params(args.params)
    categories, pilot = _read_bank_extras(args.params, params)
    targets = _parse_blueprint(args.blueprint) if args.blueprint else None
    if targets and categories is None:
        raise InputError(f"--blueprint needs a 'category' on the items of {args.params}.")
    try:
        bank = Bank(params, categories=categories, pilot=pilot, prior=prior)
        stopping: list[StoppingRule] = []
        if args.max_items is not None:
            stopping.append(MaxLength(args.max_items))
        if args.stop_se is not None:
            stopping.append(StandardErrorStop(args.stop_se))
        exposure = EXPOSURE_RULES[args.exposure]()
        rules = CATRules(
            selection=SELECTION_RULES[args.selection](),
            exposure=exposure,
            content=ContentBalancing(targets) if targets else None,
            stopping=tuple(stopping),
            min_length=args.min_items,
        )
        rules.check(bank)
        rng = np.random.default_rng(args.seed)
        if args.exposure == "sympson-hetter":
            bank, _ = fit_sympson_hetter(bank, rules, args.exposure_target, n_iter=args.sh_rounds, rng=rng)
        theta = rng.normal(prior.mean, prior.sd, args.examinees)
        sim = simulate_cat(bank, rules, theta, rng=rng)
    except CATError as error:
        raise InputError(f"{args.params}: {error}") from None
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "examinees.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["examinee", "true_theta", "theta", "se", "n_items", "stop_reason", "items"])
        for i in range(args.examinees):
            given = [
                bank.ids[j] + ("*" if p else "") for j, p in zip(sim.items[i], sim.is_pilot[i], strict=True) if j >= 0
            ]
            writer.writerow(
                [f"E{i + 1:06d}", f"{sim.true_theta[i]:.6f}", f"{sim.theta[i]:.6f}", f"{sim.se[i]:.6f}",
                 int(sim.n_scored[i]), sim.reason[i], " ".join(given)]
            )  # fmt: skip
    summary = {
        "settings": {
            "params": str(args.params),
            "examinees": args.examinees,
            "seed": args.seed,
            "exposure_target": args.exposure_target if args.exposure == "sympson-hetter" else None,
            **rules.to_dict(),
        },
        **sim.summary(targets),
        "conditional": sim.conditional(),
        "exposure": {item: float(rate) for item, rate in zip(bank.ids, sim.exposure, strict=True)},
    }
    if args.exposure == "sympson-hetter":
        summary["sympson_hetter_k"] = {item: float(k) for item, k in zip(bank.ids, bank.exposure, strict=True)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    plots = _plot_simulation(sim, out, args.exposure_target if args.exposure == "sympson-hetter" else None)
    s = summary
    print(
        f"simulated {args.examinees} adaptive tests: bias {s['bias']:+.3f}, RMSE {s['rmse']:.3f}, "
        f"mean length {s['mean_length']:.1f} (max {s['max_length']}), max exposure {s['max_exposure']:.3f}, "
        f"overlap {s['overlap_rate']:.3f}"
    )
    print(f"wrote {out / 'examinees.csv'}, {out / 'summary.json'}, {plots[0]} and {plots[1]}")
    return 0


def _read_groups(path: str, persons: list[str], column: str | None) -> list[str]:
    """Group label of each person from a CSV with a header (person id first)."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror}).") from None
    with handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InputError(f"{path} needs a header and one row per person.")
    header = [h.strip() for h in rows[0]]
    if column is None:
        if len(header) < 2:
            raise InputError(f"{path} line 1: expected a person id column and a group column.")
        col = 1
    elif column in header[1:]:
        col = header.index(column)
    else:
        raise InputError(f"{path} line 1: no column {column!r}; columns are {', '.join(header[1:])}.")
    labels = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"{path} line {line}: {len(row)} cells, expected {len(header)}.")
        labels[row[0].strip()] = row[col].strip()
    missing = [p for p in persons if p not in labels or not labels[p]]
    if missing:
        raise InputError(f"{path}: person {missing[0]!r} has no group ({len(missing)} persons in all).")
    return [labels[p] for p in persons]


def _fmt(value: float, digits: int = 4) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _dif(args: argparse.Namespace) -> int:
    params, _ = _read_params(args.params)
    persons, items, x = read_responses(args.input)
    known = {item: j for j, item in enumerate(params.ids)}
    for col, item in enumerate(items, start=2):
        if item not in known:
            raise InputError(f"{args.input} line 1, column {col}: item {item!r} is not in {args.params}.")
    models = [params.models[known[i]] for i in items]
    _check_categories(args.input, persons, items, x, models, [int(params.n_categories[known[i]]) for i in items])
    groups = _read_groups(args.groups, persons, args.column)
    reference = args.reference or groups[0]
    rows: dict[str, dict[str, str | int]] = {
        item: {"item": item, "model": m} for item, m in zip(items, models, strict=True)
    }
    if args.method in ("mh", "both"):
        mh = mantel_haenszel(x, groups, reference=reference, focal=args.focal, item_ids=items)
        focal = mh.focal
        for j, item in enumerate(mh.ids):
            rows[item].update(
                mh_delta=_fmt(mh.delta[j]), mh_se=_fmt(mh.se[j]), mh_chi_square=_fmt(mh.chi_square[j]),
                mh_p=_fmt(mh.p_value[j]), ets_class=str(mh.ets[j]), favours=mh.favours()[j],
            )  # fmt: skip
    if args.method in ("lr", "both"):
        lr = likelihood_ratio_dif(x, groups, reference=reference, focal=args.focal, model=models, item_ids=items)
        focal = lr.focal
        for j, item in enumerate(lr.ids):
            rows[item].update(
                lr_g2=_fmt(lr.g2[j]), lr_df=int(lr.df[j]), lr_p=_fmt(lr.p_value[j]),
                lr_flagged=int(bool(lr.flagged[j])),
                b_reference=_fmt(lr.reference_params.b[j]), b_focal=_fmt(lr.focal_params.b[j]),
            )  # fmt: skip
    columns = ["item", "model"]
    if args.method in ("mh", "both"):
        columns += ["mh_delta", "mh_se", "mh_chi_square", "mh_p", "ets_class", "favours"]
    if args.method in ("lr", "both"):
        columns += ["lr_g2", "lr_df", "lr_p", "lr_flagged", "b_reference", "b_focal"]
    with open(args.output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        for item in items:
            writer.writerow(rows[item])
    parts = []
    if args.method in ("mh", "both"):
        classes = list(mh.ets)
        parts.append(f"MH: {classes.count('B')} items in ETS class B, {classes.count('C')} in class C")
    if args.method in ("lr", "both"):
        parts.append(f"likelihood ratio: {int(lr.flagged.sum())} items with p < 0.05")
    print(f"DIF {focal} vs {reference} (reference) on {len(items)} items: " + "; ".join(parts))
    print(f"wrote {args.output}")
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
    cat = sub.add_parser("simulate-cat", help="simulate adaptive tests on an item bank")
    cat.add_argument("--params", required=True, help="params.json of the bank (optional per-item category, pilot)")
    cat.add_argument("--examinees", type=int, required=True)
    cat.add_argument("--selection", choices=list(SELECTION_RULES), default="mfi")
    cat.add_argument("--exposure", choices=list(EXPOSURE_RULES), default="none")
    cat.add_argument("--exposure-target", type=float, default=0.25, help="Sympson-Hetter maximum exposure rate")
    cat.add_argument("--sh-rounds", type=int, default=10, help="simulation rounds fitting Sympson-Hetter")
    cat.add_argument("--stop-se", type=float, default=None, help="stop when the SE of θ is at most this")
    cat.add_argument("--max-items", type=int, default=None, help="maximum test length (default 30 or the blueprint)")
    cat.add_argument("--min-items", type=int, default=1, help="minimum length before the SE rule applies")
    cat.add_argument("--blueprint", default=None, help="items per category, e.g. TWK=30,TIU=35,TKP=45")
    cat.add_argument("--seed", type=int, default=None)
    cat.add_argument("--output", required=True, help="directory for examinees.csv, summary.json and the plots")
    cat.set_defaults(run=_simulate_cat)
    dif = sub.add_parser("dif", help="differential item functioning between two groups")
    dif.add_argument("--params", required=True, help="params.json naming the items and their models")
    dif.add_argument("--groups", required=True, help="CSV: person id, then the grouping attribute(s)")
    dif.add_argument("--column", default=None, help="grouping column of the groups CSV (default the second)")
    dif.add_argument("--reference", default=None, help="reference group (default the first person's group)")
    dif.add_argument("--focal", default=None, help="focal group (default the only other group)")
    dif.add_argument("--method", choices=["mh", "lr", "both"], default="both")
    dif.add_argument("input")
    dif.add_argument("--output", required=True, help="CSV with one row per item")
    dif.set_defaults(run=_dif)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 bad input, 2 bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
        return status
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
