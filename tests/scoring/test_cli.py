"""The command line: simulate -> calibrate -> score, and one-line errors for bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoring.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def test_simulate_calibrate_score_round_trip(tmp_path):
    out = tmp_path / "sim"
    done = run("simulate", "--model", "2pl", "--persons", "1500", "--items", "12",
               "--fraction-administered", "0.75", "--seed", "3", "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "responses.csv")
    assert rows[0][0] == "person_id" and len(rows[0]) == 13 and len(rows) == 1501
    assert sum(cell == "" for cell in rows[1][1:]) == 3  # 9 of 12 administered
    truth = json.loads((out / "true_params.json").read_text())

    params = tmp_path / "params.json"
    done = run("calibrate", "--model", "2pl", str(out / "responses.csv"), "--output", str(params))
    assert done.returncode == 0, done.stderr
    fitted = json.loads(params.read_text())
    assert {"model", "loglik", "aic", "bic", "iterations", "converged", "items"} <= set(fitted)
    assert fitted["model"] == "2pl" and fitted["converged"] is True
    a = np.array([item["a"] for item in fitted["items"]])
    b = np.array([item["b"] for item in fitted["items"]])
    assert np.sqrt(np.mean((a - [i["a"] for i in truth["items"]]) ** 2)) < 0.2
    assert np.sqrt(np.mean((b - [i["b"] for i in truth["items"]]) ** 2)) < 0.2
    assert all(item["se_a"] > 0 and item["se_b"] > 0 for item in fitted["items"])

    scores = tmp_path / "scores.csv"
    done = run("score", "--params", str(params), str(out / "responses.csv"), "--method", "wle",
               "--output", str(scores))  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = read_csv(scores)
    assert table[0] == ["person_id", "theta", "se"]
    theta = np.array([float(r[1]) for r in table[1:]])
    true = np.array([float(r[1]) for r in read_csv(out / "theta.csv")[1:]])
    assert np.corrcoef(theta, true)[0, 1] > 0.7  # nine items per person


@pytest.mark.parametrize("model", ["rasch", "1pl", "3pl", "grm", "gpcm"])
def test_calibrate_every_model(tmp_path, model, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--model", model, "--persons", "800", "--items", "6", "--seed", "1",
                 "--output", str(out)]) == 0  # fmt: skip
    params = tmp_path / "params.json"
    assert main(["calibrate", "--model", model, str(out / "responses.csv"), "--output", str(params)]) == 0
    fitted = json.loads(params.read_text())
    assert fitted["model"] == model and len(fitted["items"]) == 6
    if model in ("grm", "gpcm"):
        assert all(len(item["thresholds"]) == 3 for item in fitted["items"])
    for method in ("eap", "map", "mle", "wle"):
        assert main(["score", "--params", str(params), str(out / "responses.csv"), "--method", method,
                     "--output", str(tmp_path / f"{method}.csv")]) == 0  # fmt: skip


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def error_of(capsys, argv) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse usage errors
        code = stop.code
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # exactly one line
    return code, err.strip()


def test_non_numeric_cell(tmp_path, capsys):
    data = write(tmp_path / "in.csv", "id,q1,q2\np1,1,0\np2,1,x\n")
    code, err = error_of(capsys, ["calibrate", "--model", "2pl", str(data), "--output", str(tmp_path / "o")])
    assert code == 1
    assert err == f"error: {data} line 3 (person p2), column q2: 'x' is not a number."


def test_value_outside_the_models_categories(tmp_path, capsys):
    data = write(tmp_path / "in.csv", "id,q1,q2\np1,1,0\np2,2,1\n")
    code, err = error_of(capsys, ["calibrate", "--model", "3pl", str(data), "--output", str(tmp_path / "o")])
    assert code == 1
    assert "line 3 (person p2), column q1: value 2 is not a category of a 3pl item (expected 0 or 1)" in err
    poly = write(tmp_path / "poly.csv", "id,q1,q2\np1,1,0\np2,-1,1\n")
    code, err = error_of(capsys, ["calibrate", "--model", "grm", str(poly), "--output", str(tmp_path / "o")])
    assert code == 1 and "line 3 (person p2), column q1: value -1" in err


def test_empty_file_and_header_only(tmp_path, capsys):
    empty = write(tmp_path / "empty.csv", "")
    code, err = error_of(capsys, ["calibrate", "--model", "2pl", str(empty), "--output", str(tmp_path / "o")])
    assert code == 1 and err == f"error: {empty} is empty."
    header = write(tmp_path / "header.csv", "id,q1,q2\n")
    code, err = error_of(capsys, ["score", "--params", "p.json", str(header), "--output", str(tmp_path / "o")])
    assert code == 1


def test_unknown_model_and_method(tmp_path, capsys):
    data = write(tmp_path / "in.csv", "id,q1\np1,1\n")
    code, err = error_of(capsys, ["calibrate", "--model", "4pl", str(data), "--output", str(tmp_path / "o")])
    assert code == 2 and "invalid choice: '4pl'" in err
    code, err = error_of(capsys, ["score", "--params", "p.json", str(data), "--method", "ml", "--output", "o"])
    assert code == 2 and "invalid choice: 'ml'" in err


def test_ragged_row_and_unknown_item(tmp_path, capsys):
    ragged = write(tmp_path / "ragged.csv", "id,q1,q2\np1,1,0\np2,1\n")
    code, err = error_of(capsys, ["calibrate", "--model", "2pl", str(ragged), "--output", str(tmp_path / "o")])
    assert code == 1 and err == f"error: {ragged} line 3: 2 cells, expected 3."
    params = write(tmp_path / "p.json", json.dumps({"model": "2pl", "items": [{"id": "q1", "a": 1, "b": 0}]}))
    data = write(tmp_path / "in.csv", "id,q1,q9\np1,1,0\n")
    code, err = error_of(capsys, ["score", "--params", str(params), str(data), "--output", str(tmp_path / "o")])
    assert code == 1 and "line 1, column 3: item 'q9' is not in" in err
