"""Config validation: wrong keys, types and values stop the run before any job, naming the key."""

from __future__ import annotations

import copy
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import SNAKEMAKE, TINY

from losstopo.config import SCHEMA_PATH, ConfigError, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*args: str) -> subprocess.CompletedProcess:
    """`snakemake -n` from the repository root with `args` (targets, config files, a working directory)."""
    return subprocess.run([SNAKEMAKE, "-n", "--cores", "1", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
DEFAULT = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def broken(path: list, value=None, delete: bool = False) -> dict:
    config = copy.deepcopy(DEFAULT)
    node = config
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return config


@pytest.mark.parametrize("config_file", ["config/config.yaml", "config/paper.yaml", "tests/config/tiny.yaml"])
def test_shipped_configs_are_valid(config_file):
    config = load_config(ROOT / config_file, SCHEMA_PATH)
    assert config["hessian"]["top_k"] >= 4 and config["figures"]["lr"] in config["pinn"]["learning_rates"]


@pytest.mark.parametrize(
    "config, named",
    [
        (broken(["pinn", "betaz"], [1, 2]), "'betaz' was unexpected"),
        (broken(["pinn", "betas"], [1, -3]), "pinn.betas[1]: -3 is less than the minimum of 0"),
        (broken(["pinn", "seeds"], []), "pinn.seeds: [] should be non-empty"),
        (broken(["landscape", "steps"], "many"), "landscape.steps: 'many' is not of type 'integer'"),
        (broken(["topology", "connectivity"], "hex"), "topology.connectivity: 'hex' is not one of"),
        (broken(["pinn", "betas"], delete=True), "pinn: 'betas' is a required property"),
        (broken(["figures", "failure_betas"], [4]), "figures.failure_betas: 4 is not in pinn.betas"),
        (broken(["landscape", "hessian", "distance"], "1e-2"),
         "landscape.hessian.distance: '1e-2' is not of type 'number'; YAML read '1e-2' as text: write it as 1.0e-2"),
        (broken(["resnet20"], {"landscape": {"hessian": {"normalisation": "layer"}}}),
         "resnet20.landscape.hessian: Additional properties are not allowed ('normalisation' was unexpected)"),
        (broken(["pinn", "topology"], {"connectivity": "hex"}), "pinn.topology.connectivity: 'hex' is not one of"),
    ],
)
def test_bad_config_names_the_key(config, named):
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA_PATH)
    assert named in str(err.value)


def test_defaults_are_filled():
    config = broken(["hessian"], delete=True)
    validate_config(config, SCHEMA_PATH)
    assert config["hessian"]["top_k"] == 4 and config["hessian"]["dtype"] == "float64"
    assert config["landscape"]["hessian"]["normalization"] == "none"
    assert config["landscape"]["random"]["normalization"] == "filter"


def test_snakemake_stops_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"pinn": {"seeds": [], "betas": [1, -2]}}))
    run = dry_run("--configfile", str(bad))
    assert run.returncode != 0
    assert "pinn.seeds: [] should be non-empty" in run.stdout + run.stderr
    assert "pinn.betas[1]: -2 is less than the minimum of 0" in run.stdout + run.stderr
    assert "rule train_pinn" not in run.stdout


@pytest.mark.parametrize("experiment, source, target, named", [
    ("resnet20", "cifar10", "fig_t5_resnet_metrics", "cifar-10-batches-py"),
    ("unet_crf", "pets", "fig_p4_unet_crf", "oxford-iiit-pet"),
])
def test_absent_real_data_offline_stops_before_any_job(tmp_path, experiment, source, target, named):
    config = tmp_path / "real.yaml"
    config.write_text(yaml.safe_dump({"targets": [target], "data": {"root": str(tmp_path / "nowhere")},
                                      experiment: {"source": source}}))
    run = dry_run("--configfile", str(config))
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "rule train_" not in run.stdout
    assert str(tmp_path / "nowhere") in out and named in out and "download" in out


@pytest.mark.parametrize("config_file, jobs", [("config/config.yaml", 122), ("tests/config/tiny.yaml", 14)])
def test_one_figure_plans_exactly_what_it_needs(tmp_path, config_file, jobs):
    """Regenerating one figure plans only its own jobs, however many experiments the config holds."""
    run = dry_run("fig_t6_pinn_metrics", "--snakefile", str(ROOT / "workflow/Snakefile"), "--configfile",
                  str(ROOT / config_file), "--directory", str(tmp_path), "--quiet", "rules")
    assert run.returncode == 0, run.stderr[-2000:]
    total = [line.split()[-1] for line in run.stdout.splitlines() if line.startswith("total")]
    assert total and set(total) == {str(jobs)}, run.stdout[-2000:]


def test_conda_env_pins_what_pyproject_pins_and_names_no_local_path():
    """Snakemake builds `--sdm conda` envs from a copy under .snakemake/conda/, where a relative path
    (`-e ..`, `-c ../constraints.txt`) would point elsewhere: the env lists the pins themselves."""
    env = yaml.safe_load((ROOT / "envs/losstopo.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(pip) == sorted(project["dependencies"])
    assert "python=3.11" in env["dependencies"]



def test_jobs_find_the_workflows_own_library_without_an_install():
    """Snakemake appends a script's folder to its sys.path: the link there makes a job in a conda env that
    lacks losstopo import this workflow's src/losstopo."""
    link = ROOT / "workflow/scripts/losstopo"
    assert link.is_symlink() and link.resolve() == (ROOT / "src/losstopo").resolve()


def test_image_landscapes_ask_for_the_experiments_gpus(tmp_path):
    """`unet_crf.gpus` reaches its training and landscape jobs (sbatch --gpus), not the PINN's jobs."""
    config = tmp_path / "gpus.yaml"
    config.write_text(yaml.safe_dump({"unet_crf": {"gpus": 1}}))
    run = dry_run("fig_p4_unet_crf", "fig_t2_pinn_failure", "--snakefile", str(ROOT / "workflow/Snakefile"),
                  "--configfile", str(TINY), str(config), "--directory", str(tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    jobs = re.split(r"\n\s*rule ", run.stdout)[1:]  # grouped jobs print their rule indented
    gpu = {(job.split(":")[0], "gpu=1" in job) for job in jobs if "results/" in job}
    assert ("train_unet_crf", True) in gpu and ("landscape", True) in gpu
    assert ("train_pinn", False) in gpu and ("landscape", False) in gpu
    assert ("train_unet_crf", False) not in gpu and ("hessian", True) not in gpu


def test_a_bad_model_entry_stops_before_any_job(tmp_path):
    """A `models:` entry is checked at parse time: a missing checkpoint is named, and nothing runs."""
    config = tmp_path / "models.yaml"
    config.write_text(yaml.safe_dump({"models": {"cnn": {
        "module": f"{ROOT}/examples/cnn.py:make_model", "batches": f"{ROOT}/examples/cnn.py:eval_batches",
        "loss": "cross_entropy", "checkpoints": [str(tmp_path / "epoch9.pt")]}}}))
    run = dry_run("--snakefile", str(ROOT / "workflow/Snakefile"), "--configfile", str(TINY), str(config),
                  "--directory", str(tmp_path))
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "rule " not in run.stdout
    assert f"models.cnn: checkpoint file '{tmp_path / 'epoch9.pt'}' does not exist" in out
    assert not (tmp_path / "results").exists()
