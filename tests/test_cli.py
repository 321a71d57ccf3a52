"""The `losstopo` CLI against the workflow-entry path: same files, same arrays bitwise; bad inputs.

The workflow path is what `import_model.py` and the per-model stage scripts run: `import_checkpoint` +
`save_imported` into a run folder, then `load_problem` and the `losstopo.api` stage functions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from losstopo import api, artifacts
from losstopo.config import merged
from losstopo.cli import main
from losstopo.problems import registry
from losstopo.problems.user import import_checkpoint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from train import train  # noqa: E402

torch.set_num_threads(1)
SMALL = {
    "hessian": {"max_iter": 20, "trace_rtol": 0.1, "trace_max_samples": 10, "esd_runs": 1, "esd_steps": 10},
    "landscape": {"kinds": ["random", "hessian"], "steps": 11},
}


@pytest.fixture(autouse=True)
def module_builder(monkeypatch):
    """The registry line for "module" problems (until the lead adds it to registry.BUILDERS)."""
    monkeypatch.setitem(registry.BUILDERS, "module", "losstopo.problems.user:build")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> list[Path]:
    return train(tmp_path_factory.mktemp("ckpt"), epochs=3, n_train=96)


def entry(files, **changes) -> dict:
    return {
        "module": f"{ROOT}/examples/cnn.py:make_model",
        "batches": f"{ROOT}/examples/cnn.py:eval_batches",
        "loss": "cross_entropy",
        "checkpoints": [str(p) for p in files],
        **SMALL,
        **changes,
    }


def write_config(path: Path, models: dict) -> Path:
    path.write_text(yaml.safe_dump({"targets": ["table_tda_correlations"], "models": models}))
    return path


def workflow_path(name: str, settings: dict, checkpoint: str, run: Path) -> dict:
    """What the workflow's import_model, hessian, landscape and topology jobs compute for one run."""
    imported = import_checkpoint(name, settings, checkpoint)
    api.save_imported(imported, run / "model.pt", run / "metrics.json")
    s = {stage: merged(api.DEFAULTS[stage], settings.get(stage)) for stage in api.DEFAULTS}
    problem, theta, spec = artifacts.load_problem(run / "model.pt", s["hessian"]["dtype"])
    hessian = api.compute_hessian(problem, theta, s["hessian"], spec)
    results = {"eigvecs": hessian.eigvecs}
    for kind in s["landscape"]["kinds"]:
        job = api.landscape_job(s["landscape"], kind, 2)
        problem, theta, spec = artifacts.load_problem(run / "model.pt", job["dtype"])
        report = api.compute_landscape(
            problem, theta, spec, kind, 2, job, eigvecs=hessian.eigvecs, device="cpu"
        )
        results[kind] = (report.loss, api.compute_topology(report.loss, report.axes, s["topology"]).summary())
    return results


def test_cli_analyze_equals_the_workflow_entry_bitwise(tmp_path, checkpoints):
    config = write_config(tmp_path / "config.yaml", {"cnn": entry(checkpoints)})
    out = tmp_path / "cli"
    assert (
        main(
            [
                "analyze",
                "--config",
                str(config),
                "--checkpoint",
                str(checkpoints[1]),
                "--out",
                str(out),
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    expected = workflow_path("cnn", entry(checkpoints), str(checkpoints[1]), tmp_path / "run")
    np.testing.assert_array_equal(np.load(out / "eigvecs.npy"), expected["eigvecs"])
    for kind in ("random", "hessian"):
        with np.load(out / f"landscape_{kind}_2d.npz") as data:
            assert data["loss"].shape == (11, 11)
            np.testing.assert_array_equal(data["loss"], expected[kind][0])
        summary = json.loads((out / f"topology_{kind}_2d.json").read_text())
        assert summary == json.loads(json.dumps(expected[kind][1]))
        for ext in ("vti", "png"):
            assert (out / f"landscape_{kind}_2d.{ext}").stat().st_size > 0
        assert (out / f"topology_{kind}_2d.png").stat().st_size > 0
    assert json.loads((out / "metrics.json").read_text())["accuracy"] > 0.4
    assert json.loads((out / "hessian.json").read_text())["top_eigenvalue"] > 0


def test_stage_commands_chain_to_the_analyze_files(tmp_path, checkpoints):
    """hessian, then landscape (reading eigvecs.npy), then topology (reading the .npz) from options alone."""
    out = tmp_path / "steps"
    model = [
        "--module",
        f"{ROOT}/examples/cnn.py:make_model",
        "--batches",
        f"{ROOT}/examples/cnn.py:eval_batches",
        "--loss",
        "cross_entropy",
        "--checkpoint",
        str(checkpoints[0]),
        "--out",
        str(out),
        "--device",
        "cpu",
        "--quiet",
    ]
    assert (
        main(
            [
                "hessian",
                *model,
                "--max-iter",
                "20",
                "--trace-max-samples",
                "10",
                "--esd-runs",
                "1",
                "--esd-steps",
                "10",
                "--trace-rtol",
                "0.1",
            ]
        )
        == 0
    )
    assert main(["landscape", *model, "--kind", "hessian", "--steps", "9"]) == 0
    assert main(["topology", "--kind", "hessian", "--out", str(out), "--quiet"]) == 0
    with np.load(out / "landscape_hessian_2d.npz") as data:
        loss, axes = data["loss"], data["axes"]
    oracle = api.compute_topology(loss, axes, api.DEFAULTS["topology"]).summary()
    assert json.loads((out / "topology_hessian_2d.json").read_text()) == json.loads(json.dumps(oracle))
    assert loss.shape == (9, 9) and loss[4, 4] == loss.min()  # odd steps: the trained model is the centre


@pytest.mark.parametrize("command", ["hessian", "landscape", "topology", "analyze"])
def test_help_of_each_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "--out" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, message",
    [
        ({"module": "nowhere.cnn:make_model"}, "module = 'nowhere.cnn:make_model' does not resolve"),
        ({"module_args": {"channels": 6}}, "does not match the factory's module"),
        ({"batches_args": {"n": 12, "batch_size": 4}, "loss": "mse"}, "data of the wrong shape"),
        ({"checkpoints": ["no/such.pt"]}, "checkpoint file 'no/such.pt' does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, checkpoints, capsys, change, message):
    config = write_config(tmp_path / "config.yaml", {"cnn": entry(checkpoints[:1], **change)})
    out = tmp_path / "out"
    assert main(["analyze", "--config", str(config), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("losstopo analyze: error: models.cnn: ") and message in err
    assert "\n" not in err
    assert not out.exists()


def test_landscape_along_hessian_needs_eigenvectors_first(tmp_path, checkpoints, capsys):
    config = write_config(tmp_path / "config.yaml", {"cnn": entry(checkpoints[:1])})
    out = tmp_path / "out"
    assert main(["landscape", "--config", str(config), "--kind", "hessian", "--out", str(out)]) == 2
    assert "run `losstopo hessian" in capsys.readouterr().err
    assert not out.exists()
