"""The `losstopo` CLI against a `models:` entry of the real workflow: same arrays bitwise; bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import SNAKEMAKE

from losstopo import api
from losstopo.cli import NOT_OPTIONS, _option, _scalar_fields, main, parser, settings_from
from losstopo.settings import (
    KINDS,
    STAGES,
    DirectionSettings,
    HessianSettings,
    LandscapeSettings,
    TopologySettings,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from train import train  # noqa: E402

SMALL = {
    "hessian": {"max_iter": 20, "trace_rtol": 0.1, "trace_max_samples": 10, "esd_runs": 1, "esd_steps": 10},
    "landscape": {"kinds": ["random", "hessian"], "steps": 11},
}


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


def workflow_run(work: Path, config: Path, files: list[str]) -> None:
    """The real workflow (import_model, hessian, landscape, topology jobs) building `files` in `work`."""
    run = subprocess.run(
        [SNAKEMAKE, "--snakefile", ROOT / "workflow/Snakefile", "--directory", work, "--cores", "2",
         "--configfile", config, "--show-failed-logs", *files],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


@pytest.mark.e2e
def test_cli_analyze_equals_the_workflow_entry_bitwise(tmp_path, checkpoints):
    """One checkpoint of the example through a `models:` entry of the workflow and through the CLI."""
    config = write_config(tmp_path / "config.yaml", {"cnn": entry(checkpoints)})
    out = tmp_path / "cli"
    command = ["analyze", "--config", str(config), "--checkpoint", str(checkpoints[1]), "--out", str(out)]
    assert main([*command, "--device", "cpu", "--quiet"]) == 0
    run = Path("results/cnn") / checkpoints[1].stem
    stages = [f"{stage}_{kind}_2d.{ext}" for kind in ("random", "hessian")
              for stage, ext in (("landscape", "npz"), ("topology", "json"))]
    workflow = tmp_path / "workflow.yaml"  # the schema's defaults for every global section, as the CLI's
    workflow.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()),
                                        "pinn": {"betas": [1], "learning_rates": [1.0], "seeds": [0]}}))
    workflow_run(tmp_path / "work", workflow, [str(run / name) for name in ["hessian.json", *stages]])
    run = tmp_path / "work" / run
    np.testing.assert_array_equal(np.load(out / "eigvecs.npy"), np.load(run / "eigvecs.npy"))
    for kind in ("random", "hessian"):
        with np.load(out / f"landscape_{kind}_2d.npz") as cli, np.load(run / f"landscape_{kind}_2d.npz") as wf:
            assert cli["loss"].shape == (11, 11)
            np.testing.assert_array_equal(cli["loss"], wf["loss"])
        summary = json.loads((out / f"topology_{kind}_2d.json").read_text())
        assert summary == json.loads((run / f"topology_{kind}_2d.json").read_text())
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
    oracle = api.compute_topology(loss, axes, TopologySettings().to_dict()).summary()
    assert json.loads((out / "topology_hessian_2d.json").read_text()) == json.loads(json.dumps(oracle))
    assert loss.shape == (9, 9) and loss[4, 4] == loss.min()  # odd steps: the trained model is the centre


@pytest.mark.parametrize("command", ["hessian", "landscape", "topology", "analyze"])
def test_help_of_each_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_every_settings_field_has_its_option_with_the_schemas_words(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for stage, settings in STAGES.items():
        for name, _ in _scalar_fields(settings):
            assert name in NOT_OPTIONS or _option(stage, name) in text, (stage, name)
    for option in ("--hessian-seed", "--landscape-dtype", "--distance", "--no-ignore-bias", "--k", "--kind"):
        assert option in text
    assert "cap on Lanczos steps (default 100)" in text
    assert "(default random 1.0, hessian 0.5, pca 1.0; sets every kind's)" in text


def test_options_set_the_settings_fields_they_name():
    """Options go over an entry's overrides, which go over the config's sections; a direction option sets
    every kind's field; --steps sets the points of the --dim landscape only."""
    options = ["--top-k", "6", "--hessian-seed", "3", "--tol", "1e-3", "--max-iter", "7", "--kind", "hessian",
               "--dim", "3", "--steps", "5", "--distance", "0.2", "--no-ignore-bias", "--landscape-dtype",
               "float64", "--connectivity", "knn", "--k", "3", "--persistence-threshold", "0.5"]
    args = parser().parse_args(["analyze", "--out", "o", *options])
    stages = {"hessian": {"max_iter": 8, "esd_runs": 3}, "landscape": {"seed": 4, "steps": 11}}
    s = settings_from(args, {"hessian": {"max_iter": 9, "esd_runs": 2}}, stages)
    hessian = HessianSettings(top_k=6, tol=1e-3, max_iter=7, esd_runs=2, seed=3)
    assert s.hessian == hessian and s.topology == TopologySettings("knn", 3, 0.5)
    land = s.landscape
    assert land.kinds == ("hessian",) and (land.steps, land.steps_3d, land.steps_4d) == (11, 5, 9)
    assert (land.seed, land.dtype) == (4, "float64")
    for kind in KINDS:
        default = getattr(LandscapeSettings(), kind)
        assert getattr(land, kind) == DirectionSettings(default.normalization, 0.2, False)


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
