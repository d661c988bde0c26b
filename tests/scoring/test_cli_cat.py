"""The command line's simulate-cat and dif subcommands: outputs and one-line errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from scoring.cli import main
from scoring.simulate import simulate_parameters, simulate_responses


@pytest.fixture(scope="module")
def bank_json(tmp_path_factory):
    path = tmp_path_factory.mktemp("bank") / "bank.json"
    data = simulate_parameters(300, "2pl", rng=1).to_dict()
    for j, item in enumerate(data["items"]):
        item["category"] = ("TWK", "TIU", "TKP")[j % 3]
    path.write_text(json.dumps(data))
    return path


def _rows(path):
    return list(csv.DictReader(path.read_text().splitlines()))


def test_simulate_cat_writes_results_summary_and_plots(bank_json, tmp_path, capsys):
    out = tmp_path / "sim"
    argv = ["simulate-cat", "--params", str(bank_json), "--examinees", "200", "--exposure", "randomesque",
            "--stop-se", "0.35", "--max-items", "25", "--min-items", "5", "--seed", "4"]  # fmt: skip
    status = main([*argv, "--output", str(out)])
    assert status == 0
    assert "simulated 200 adaptive tests" in capsys.readouterr().out
    rows = _rows(out / "examinees.csv")
    assert len(rows) == 200
    assert {"examinee", "true_theta", "theta", "se", "n_items", "stop_reason", "items"} <= set(rows[0])
    lengths = np.array([int(r["n_items"]) for r in rows])
    se = np.array([float(r["se"]) for r in rows])
    assert ((se <= 0.35) | (lengths == 25)).all() and (lengths >= 5).all()
    assert all(len(r["items"].split()) == int(r["n_items"]) == len(set(r["items"].split())) for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    error = np.array([float(r["theta"]) - float(r["true_theta"]) for r in rows])
    assert summary["rmse"] == pytest.approx(np.sqrt(np.mean(error**2)), abs=1e-5)
    assert summary["bias"] == pytest.approx(error.mean(), abs=1e-5)
    assert summary["mean_length"] == pytest.approx(lengths.mean())
    assert summary["max_length"] == lengths.max()
    for key in ("max_exposure", "exposure_classes", "overlap_rate", "conditional", "exposure"):
        assert key in summary
    assert summary["settings"]["exposure"] == {"rule": "randomesque", "n": 5}
    for name in ("conditional_sem.png", "exposure.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same seed gives the same simulation
    again = tmp_path / "again"
    main([*argv, "--output", str(again)])
    assert (again / "examinees.csv").read_text() == (out / "examinees.csv").read_text()


def test_simulate_cat_with_sympson_hetter_and_blueprint(bank_json, tmp_path):
    out = tmp_path / "sh"
    status = main(["simulate-cat", "--params", str(bank_json), "--examinees", "300", "--exposure", "sympson-hetter",
                   "--exposure-target", "0.3", "--sh-rounds", "6", "--blueprint", "TWK=4,TIU=5,TKP=6",
                   "--seed", "2", "--output", str(out)])  # fmt: skip
    assert status == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["blueprint_met"] == 1.0 and summary["max_length"] == 15
    assert min(summary["sympson_hetter_k"].values()) < 1.0
    assert summary["max_exposure"] < 0.45  # far below the ~0.8 of uncontrolled maximum information


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-items", "500"], "needs 500 items but the bank has only 300"),
        (["--blueprint", "TWK=200,TIU=5"], "needs 200 items of category 'TWK'; the bank has 100"),
        (["--blueprint", "TWK=two"], "--blueprint: expected CATEGORY=COUNT"),
        (["--blueprint", "TWK=4,XYZ=3"], "names category 'XYZ'"),
        (["--examinees", "0"], "--examinees must be positive"),
    ],
)
def test_simulate_cat_bad_input(bank_json, tmp_path, capsys, extra, message):
    argv = ["simulate-cat", "--params", str(bank_json), "--examinees", "10", "--seed", "1",
            "--output", str(tmp_path / "x"), *extra]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_simulate_cat_blueprint_needs_categories(tmp_path, capsys):
    bank = tmp_path / "plain.json"
    bank.write_text(simulate_parameters(50, "2pl", rng=1).to_json())
    assert main(["simulate-cat", "--params", str(bank), "--examinees", "5", "--blueprint", "A=3",
                 "--output", str(tmp_path / "x")]) == 1  # fmt: skip
    assert "--blueprint needs a 'category' on the items" in capsys.readouterr().err


@pytest.fixture(scope="module")
def dif_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("dif")
    rng = np.random.default_rng(3)
    params = simulate_parameters(12, "2pl", rng=rng)
    shift = 0.9 * (np.arange(12) == 0)
    shifted = params.replace(b=params.b + shift, thresholds=params.thresholds + shift[:, None])
    x = np.concatenate(
        [
            simulate_responses(params, rng.normal(0, 1, 700), rng=rng),
            simulate_responses(shifted, rng.normal(-0.4, 1, 700), rng=rng),
        ]
    )
    (root / "params.json").write_text(params.to_json())
    with open(root / "responses.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", *params.ids])
        writer.writerows([f"P{i}", *map(int, row)] for i, row in enumerate(x))
    with open(root / "groups.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", "gender", "region"])
        writer.writerows([f"P{i}", "F" if i % 2 else "M", "urban" if i < 700 else "remote"] for i in range(1400))
    return root


def test_dif_command_flags_the_planted_item(dif_files, tmp_path, capsys):
    out = tmp_path / "dif.csv"
    status = main(["dif", "--params", str(dif_files / "params.json"), "--groups", str(dif_files / "groups.csv"),
                   "--column", "region", "--reference", "urban", str(dif_files / "responses.csv"),
                   "--output", str(out)])  # fmt: skip
    assert status == 0
    assert "DIF remote vs urban (reference) on 12 items" in capsys.readouterr().out
    rows = _rows(out)
    assert [r["item"] for r in rows] == [f"item{j}" for j in range(1, 13)]
    assert rows[0]["ets_class"] in ("B", "C") and rows[0]["favours"] == "urban" and float(rows[0]["mh_delta"]) < 0
    assert rows[0]["lr_flagged"] == "1" and float(rows[0]["lr_p"]) < 0.001
    assert sum(r["ets_class"] != "A" for r in rows[1:]) <= 1
    # grouping by an attribute unrelated to the DIF finds none on the planted item
    status = main(["dif", "--params", str(dif_files / "params.json"), "--groups", str(dif_files / "groups.csv"),
                   "--method", "mh", str(dif_files / "responses.csv"), "--output", str(out)])  # fmt: skip
    assert status == 0
    rows = _rows(out)
    assert rows[0]["ets_class"] == "A" and "lr_g2" not in rows[0]


def test_dif_command_bad_input(dif_files, tmp_path, capsys):
    groups = tmp_path / "groups.csv"
    groups.write_text("person_id,region\nP0,urban\nP1,remote\n")
    base = ["dif", "--params", str(dif_files / "params.json"), str(dif_files / "responses.csv"),
            "--output", str(tmp_path / "o.csv")]  # fmt: skip
    assert main([*base, "--groups", str(groups)]) == 1
    assert "person 'P2' has no group (1398 persons in all)" in capsys.readouterr().err
    assert main([*base, "--groups", str(dif_files / "groups.csv"), "--column", "language"]) == 1
    assert "no column 'language'; columns are gender, region" in capsys.readouterr().err
    assert main([*base, "--groups", str(dif_files / "groups.csv"), "--column", "region", "--reference", "rural"]) == 1
    assert "No person is in the reference group 'rural'" in capsys.readouterr().err
    small = tmp_path / "small.json"
    small.write_text(simulate_parameters(5, "2pl", rng=1).to_json())
    assert main(["dif", "--params", str(small), "--groups", str(dif_files / "groups.csv"),
                 str(dif_files / "responses.csv"), "--output", str(tmp_path / "o.csv")]) == 1  # fmt: skip
    assert "item 'item6' is not in" in capsys.readouterr().err
