"""What `config/paper.yaml` costs: one job of each kind measured here at paper scale (or at measured
fractions of it, extrapolated linearly), then CPU-hours per experiment and for the whole config.

    .venv/bin/python benchmarks/paper_cost.py [--json costs.json] [--only pinn unet resnet paper_n]
    .venv/bin/python benchmarks/paper_cost.py --from-json costs.json      # the table again, no measuring

Every measurement is a fresh Python process (`<this file> --child NAME`) that builds its job from the
paper config the way the workflow's script does (the experiment's problem and settings, the stage's
`compute_*`, the files written), on one torch thread. The parent reads the child's CPU time (user + sys)
and peak resident memory from `os.wait4`; the child reports the CPU seconds of the job's own work and
how big it was (iterations, images, grid points, Hessian-vector products). About 20 minutes in all.

Measured whole, at paper size: the PINN's training (three corners of the sweep; L-BFGS stops at its
tolerance), Hessian, 2-D/3-D/4-D landscapes and topologies, CoPhy-PGNN's training. Extrapolated,
cost = fixed + slope x size, from two (three) sizes measured in the same run:
  PINN training cap     L-BFGS iterations up to `pinn.iterations` (the slowest rate of the whole runs);
  image-model Hessian   Hessian-vector products (HVPs), times the PINN job's HVP count (typical) and the
                        settings' budget (cap); ResNet-20's on 100 of its 5,000 evaluation images, x 50;
  image landscapes      grid points (ResNet-20: per evaluation image, as its Hessian);
  UNet-CRF epoch        training and test images (the real set: 3,680 trainval, 3,669 test);
  ResNet-20 training    training images of an epoch (50,000 x 160 epochs);
  paper N's trainers    Adam steps (60,000), CIFAR images (50,000 x 40 epochs);
  Neuro-Visualizer      epochs (and checkpoints per epoch), up to `neurovis.autoencoder.epochs`.
The synthetic stand-ins of CIFAR-10 and Oxford-IIIT Pet have the real images' shapes, so a per-image cost
transfers. No GPU: the image models' figures are CPU figures.

Job counts come from the workflow's own plan (`snakemake -n --profile profiles/slurm` of the paper config
with the synthetic sources), which also gives the SLURM submissions (group jobs, jobs alone).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT / "config/paper.yaml"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
# Offline: the synthetic stand-ins in the real layout; sizes of the real sets for the extrapolation.
SYNTHETIC = {"resnet20": {"source": "synthetic"}, "unet_crf": {"source": "synthetic"}}
PETS = {"trainval": 3680, "test": 3669}
CIFAR10 = {"train": 50000, "test": 10000}
PINN_RUN = {"beta": "30", "lr": "1", "seed": "0"}


# ---------------------------------------------------------------- child side: one job, one process


def paper_config(overrides: dict | None = None) -> dict:
    from losstopo.config import merged, validate_config

    config = merged(merged(yaml.safe_load(PAPER.read_text()), SYNTHETIC), overrides or {})
    validate_config(config)
    return config


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.process_time()
    out = fn(*args, **kwargs)
    return time.process_time() - start, out


def train_pinn(work: Path, iterations: int, run: dict | None = None, prefix: str = "pinn") -> dict:
    from losstopo.experiments import find
    from losstopo.training.trained import save_trained

    config = paper_config()
    exp = find(config, "pinn")
    run = run or PINN_RUN
    settings = {**exp.train_settings(config, run), "iterations": iterations,
                "checkpoint_every": min(iterations, config["pinn"]["checkpoint_every"])}
    cpu, result = timed(exp.train, exp.problem(config, run), settings, run, {})
    save_trained(result, {k: str(work / f"{prefix}_{k}{ext}") for k, ext in
                          (("model", ".pt"), ("metrics", ".json"), ("trajectory", ".npz"), ("prediction", ".npz"))})
    return {"cpu": cpu, "size": result.metrics["iterations"]}


def hessian(work: Path, model: str, experiment: str, **settings) -> dict:
    from losstopo import artifacts
    from losstopo.experiments import find
    from losstopo.stages.hessian import compute_hessian

    config = paper_config()
    s = {**find(config, experiment).stage_settings(config, "hessian"), **settings}
    problem, theta, spec = artifacts.load_problem(work / model, s["dtype"])
    cpu, report = timed(compute_hessian, problem, theta, s, spec)
    report.save(work / f"{experiment}_hessian.json", work / f"{experiment}_eigvecs.npy",
                work / f"{experiment}_esd.npz")
    return {"cpu": cpu, "size": report.summary["n_hvp"]["total"], "n_params": int(theta.numel())}


def landscape(work: Path, model: str, experiment: str, kind: str, dim: int, steps: int | None = None) -> dict:
    import numpy as np

    from losstopo import artifacts
    from losstopo.experiments import find
    from losstopo.plots.landscape import draw_landscape_report
    from losstopo.settings import landscape_job
    from losstopo.stages.landscape import compute_landscape

    config = paper_config()
    s = landscape_job(find(config, experiment).stage_settings(config, "landscape"), kind, dim)
    s = {**s, "steps": steps or s["steps"]}
    problem, theta, spec = artifacts.load_problem(work / model, s["dtype"])
    eigvecs = np.load(work / f"{experiment}_eigvecs.npy") if kind == "hessian" else None
    name = f"{experiment}_landscape_{kind}_{dim}d_{s['steps']}"
    cpu, report = timed(compute_landscape, problem, theta, spec, kind, dim, s, eigvecs=eigvecs)
    start = time.process_time()
    report.save(work / f"{name}.npz", work / f"{name}.vti")
    if dim == 2:
        draw_landscape_report(work / f"{name}.png", report, name)
    return {"cpu": cpu + time.process_time() - start, "size": s["steps"] ** dim}


def topology(work: Path, landscape_npz: str) -> dict:
    import numpy as np

    from losstopo.experiments import find
    from losstopo.stages.topology import compute_topology, save_topology_files

    config = paper_config()
    cfg = find(config, "pinn").stage_settings(config, "topology")
    with np.load(work / landscape_npz) as data:
        loss, axes = data["loss"], data["axes"]
    start = time.process_time()
    topo = compute_topology(loss, axes, cfg)
    save_topology_files(topo, work / f"{landscape_npz}.topology.json", work / f"{landscape_npz}.topology.npz")
    return {"cpu": time.process_time() - start, "size": int(loss.size)}


def synthetic_data(work: Path, dataset: str, n_train: int, n_test: int) -> dict:
    """The synthetic stand-in at the paper's image size under `work` (the workflow's layout)."""
    from losstopo import paths

    root = work / paths.SYNTHETIC
    start = time.process_time()
    if dataset == "pets":
        from losstopo.data.pets import write_synthetic_pets

        write_synthetic_pets(root, n_trainval=n_train, n_test=n_test, seed=0,
                             size=paper_config()["unet_crf"]["image_size"])
    else:
        from losstopo.data.cifar import write_synthetic_cifar10

        write_synthetic_cifar10(root, n_train=n_train, n_test=n_test, seed=0)
    return {"cpu": time.process_time() - start, "size": n_train + n_test}


def train_unet_epoch(work: Path, n_train: int) -> dict:
    """Epoch 1 of one UNet-CRF run on `n_train` images (and the whole synthetic test split)."""
    from losstopo.experiments import find
    from losstopo.training.trained import save_trained

    os.chdir(work)  # the problem's data root is relative, as in the workflow
    config = paper_config()
    exp = find(config, "unet_crf")
    values = exp.run_values(config, lrs=[0.01], seeds=[0], epochs=[1])[0]
    settings = {**exp.train_settings(config, values), "n_train": n_train}
    cpu, result = timed(exp.train, exp.problem(config, values), settings, values, {"previous": []})
    save_trained(result, {"model": "unet_model.pt", "metrics": "unet_metrics.json", "state": "unet_state.pt"})
    return {"cpu": cpu, "size": n_train, "n_params": int(result.theta.numel())}


def train_resnet(work: Path, n_train: int, n_test: int) -> dict:
    """One epoch of ResNet-20 (residual) on `n_train` images, evaluated on `n_test`."""
    from losstopo.experiments import find
    from losstopo.training.trained import save_trained

    os.chdir(work)
    config = paper_config({"resnet20": {"eval_batches": 1, "eval_batch_size": 100}})
    exp = find(config, "resnet20")
    values = {"variant": "residual", "seed": "0"}
    settings = {**exp.train_settings(config, values), "epochs": 1, "n_train": n_train, "n_test": n_test}
    cpu, result = timed(exp.train, exp.problem(config, values), settings, values, {})
    save_trained(result, {"model": "resnet_model.pt", "metrics": "resnet_metrics.json",
                          "trajectory": "resnet_trajectory.npz"})
    return {"cpu": cpu, "size": n_train, "n_params": int(result.theta.numel())}


def image_stage(work: Path, stage: str, **kwargs) -> dict:
    """A Hessian or landscape job of an image model (its problem reads the data under `work`)."""
    os.chdir(work)
    return {"hessian": hessian, "landscape": landscape}[stage](work, **kwargs)


def train_neurovis(work: Path, experiment: str, values: dict, settings: dict, problem: dict | None = None,
                   size: int = 0) -> dict:
    """One run of a paper-N trainer (`values`: its sweep values) with `settings` (and `problem`) cut down."""
    from losstopo.config import merged
    from losstopo.experiments import find
    from losstopo.training.trained import save_trained

    os.chdir(work)
    config = paper_config()
    exp = find(config, experiment)
    spec = merged(exp.problem(config, values), problem or {})
    cpu, result = timed(exp.train, spec, merged(exp.train_settings(config, values), settings), values, {})
    save_trained(result, {"model": f"{experiment}_model.pt", "metrics": f"{experiment}_metrics.json",
                          "trajectory": f"{experiment}_trajectory.npz"})
    return {"cpu": cpu, "size": size}


def hvp(work: Path, model: str, experiment: str, n: int) -> dict:
    """Set-up and `n` Hessian-vector products of a saved model at the paper's Hessian dtype."""
    import torch

    from losstopo import artifacts
    from losstopo.experiments import find
    from losstopo.hessian import HessianOperator

    os.chdir(work)
    config = paper_config()
    s = find(config, experiment).stage_settings(config, "hessian")
    problem, theta, _ = artifacts.load_problem(model, s["dtype"])
    v = torch.randn(theta.numel(), generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def products() -> None:
        op = HessianOperator(problem, theta)
        for _ in range(n):
            op(v)

    cpu, _ = timed(products)
    return {"cpu": cpu, "size": n, "n_params": int(theta.numel())}


def autoencoder(work: Path, n_models: int, epochs: int) -> dict:
    """`epochs` epochs of the paper's Neuro-Visualizer (nv_polar, a PINN group's settings) on `n_models`
    random 7,851-parameter models (the cost of an epoch does not depend on the values)."""
    import torch

    from losstopo.experiments.neurovis import embedding_settings
    from losstopo.neurovis import AESettings, fit_autoencoder, trajectory_set

    config = paper_config()
    s = {**embedding_settings(config, "nv_polar", "pinn_beta30_cr1"), "epochs": epochs, "patience": epochs + 1}
    data = trajectory_set([torch.randn(n_models, 7851, generator=torch.Generator().manual_seed(0))])
    cpu, _ = timed(fit_autoencoder, data, AESettings.from_dict(s), False)
    return {"cpu": cpu, "size": epochs}


def child(name: str, work: Path, kwargs: dict) -> None:
    import torch

    torch.set_num_threads(int(kwargs.pop("threads", 1)))
    setup = time.process_time()
    out = CHILD_JOBS[name](work, **kwargs)
    out["setup_cpu"] = setup
    print("RESULT " + json.dumps(out))


CHILD_JOBS = {
    "train_pinn": train_pinn, "hessian": hessian, "landscape": landscape, "topology": topology,
    "synthetic_data": synthetic_data, "train_unet_epoch": train_unet_epoch, "train_resnet": train_resnet,
    "image_stage": image_stage, "train_neurovis": train_neurovis, "hvp": hvp, "autoencoder": autoencoder,
}


# ---------------------------------------------------------------- parent side: measure, fit, tabulate


def measure(name: str, work: Path, **kwargs) -> dict:
    """Run one child job; its result plus the process's CPU seconds, wall seconds and peak RSS (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", name, "--work", str(work), "--kwargs",
                             json.dumps(kwargs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    # communicate() reaped the child; its rusage came with it through the Popen's wait4 call
    usage = getattr(proc, "rusage", None)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{name} {kwargs} failed:\n{err[-4000:]}")
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    result.update(wall=wall, **usage)
    print(f"  {name} {kwargs}: {result['cpu']:.2f} CPU s of work, {result['process_cpu']:.2f} s in all, "
          f"peak {result['peak_mb']:.0f} MB, size {result['size']}", flush=True)
    return result


class RusagePopen(subprocess.Popen):
    """A Popen whose wait records the child's own rusage (CPU seconds, peak RSS) from os.wait4."""

    def _try_wait(self, wait_flags):
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            self.rusage = {"process_cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}
        return pid, status


subprocess.Popen = RusagePopen  # the parent's only subprocesses are its children and one dry run


def fit(small: dict, large: dict) -> tuple[float, float]:
    """cost = fixed + slope * size through two measurements."""
    slope = (large["cpu"] - small["cpu"]) / (large["size"] - small["size"])
    return max(small["cpu"] - slope * small["size"], 0.0), max(slope, 0.0)


def plan() -> dict:
    """The paper config (synthetic sources) planned with the SLURM profile: jobs per rule, group jobs per
    group id, jobs submitted alone per rule, and the Neuro-Visualizer jobs' outputs."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "synthetic.yaml"
        extra.write_text(yaml.safe_dump(SYNTHETIC))
        run = subprocess.run([SNAKEMAKE, "-n", "--profile", ROOT / "profiles/slurm", "--snakefile",
                              ROOT / "workflow/Snakefile", "--directory", Path(tmp) / "work", "--configfile",
                              PAPER, extra], cwd=ROOT, capture_output=True, text=True, timeout=900)
    out = run.stdout + run.stderr
    if run.returncode != 0:
        raise RuntimeError(f"the dry run failed:\n{out[-4000:]}")
    table = out.split("Job stats:")[1].split("\n\n")[0]
    jobs = {r: int(n) for r, n in re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.MULTILINE)
            if r not in ("total", "all")}
    groups: dict[str, int] = {}
    for group in re.findall(r"Group job (\S+) \(jobs in lexicogr", out):
        groups[group] = groups.get(group, 0) + 1
    single: dict[str, int] = {}
    for rule in re.findall(r"^rule (\w+):$", out, flags=re.MULTILINE):
        if rule != "all":
            single[rule] = single.get(rule, 0) + 1
    embeddings = re.findall(r"output: results/neurovis/(\w+)/(\w+)\.npz", out)
    return {"jobs": jobs, "groups": groups, "single": single, "embeddings": embeddings}


def run_measurements(only: set[str] | None = None) -> dict:
    """Every measurement, keyed by name (`only`: a subset of the sections pinn, unet, resnet, paper_n)."""
    m: dict[str, dict] = {}
    sections = only or {"pinn", "unet", "resnet", "paper_n"}
    with tempfile.TemporaryDirectory(prefix="paper_cost_") as tmp:
        w = Path(tmp)
        print("PINN (paper size: 4 x 50 tanh, n_f 1000; float64 Hessian)", flush=True)
        m["pinn_train_a"] = measure("train_pinn", w, iterations=100)
        m["pinn_train_b"] = measure("train_pinn", w, iterations=400)
        model = "pinn_model.pt"
        if "pinn" in sections:  # whole trainings at three corners of the sweep (L-BFGS stops at its tolerance)
            for beta, lr in (("1", "0.0001"), ("50", "0.01"), ("30", "1")):
                m[f"pinn_train_full_b{beta}"] = measure("train_pinn", w, iterations=100000, prefix=f"full{beta}",
                                                        run={"beta": beta, "lr": lr, "seed": "0"})
            model = "full30_model.pt"  # the stages on a trained model, as in the sweep
        m["pinn_hessian"] = measure("hessian", w, model=model, experiment="pinn")
        if "pinn" in sections:
            for kind in ("random", "hessian"):
                m[f"pinn_landscape_{kind}_2d"] = measure("landscape", w, model=model, experiment="pinn",
                                                         kind=kind, dim=2)
            for dim in (3, 4):
                m[f"pinn_landscape_{dim}d"] = measure("landscape", w, model=model, experiment="pinn",
                                                      kind="hessian", dim=dim)
            for dim, steps in ((2, 51), (3, 31), (4, 15)):
                m[f"topology_{dim}d"] = measure("topology", w, landscape_npz=f"pinn_landscape_hessian_{dim}d_{steps}.npz")
        measure("landscape", w, model=model, experiment="pinn", kind="hessian", dim=2, steps=41)
        m["topology_41"] = measure("topology", w, landscape_npz="pinn_landscape_hessian_2d_41.npz")

        if "unet" in sections:
            print("UNet-CRF (128 px, depth 5, width 16; synthetic Pets at the real image size)", flush=True)
            for tag, n_train, n_test in (("a", 16, 32), ("b", 48, 32), ("c", 16, 64)):
                sub = w / f"unet_{tag}"
                sub.mkdir()
                measure("synthetic_data", sub, dataset="pets", n_train=n_train, n_test=n_test)
                m[f"unet_epoch_{tag}"] = {**measure("train_unet_epoch", sub, n_train=n_train), "n_test": n_test}
            sub = w / "unet_a"  # the problem: the first 32 test images, as at paper scale
            for tag, n in (("a", 1), ("b", 3)):
                m[f"unet_hvp_{tag}"] = measure("hvp", sub, model="unet_model.pt", experiment="unet_crf", n=n)
            for tag, steps in (("a", 2), ("b", 4)):
                m[f"unet_landscape_{tag}"] = measure("image_stage", sub, stage="landscape", model="unet_model.pt",
                                                     experiment="unet_crf", kind="random", dim=2, steps=steps)

        if "resnet" in sections:
            print("ResNet-20 (width 16; synthetic CIFAR-10 at the real image size; 100 of the paper's 5,000 "
                  "evaluation images)", flush=True)
            sub = w / "resnet"
            sub.mkdir()
            measure("synthetic_data", sub, dataset="cifar10", n_train=768, n_test=200)
            m["resnet_epoch_a"] = measure("train_resnet", sub, n_train=256, n_test=100)
            m["resnet_epoch_b"] = measure("train_resnet", sub, n_train=768, n_test=100)
            for tag, n in (("a", 1), ("b", 3)):
                m[f"resnet_hvp_{tag}"] = measure("hvp", sub, model="resnet_model.pt", experiment="resnet20", n=n)
            for tag, steps in (("a", 2), ("b", 4)):
                m[f"resnet_landscape_{tag}"] = measure("image_stage", sub, stage="landscape",
                                                       model="resnet_model.pt", experiment="resnet20",
                                                       kind="random", dim=2, steps=steps)

        if "paper_n" in sections:
            print("Paper N's trainers and the Neuro-Visualizer", flush=True)
            for method in ("ew", "gradnorm", "ntk"):
                for tag, steps in (("a", 200), ("b", 600)):
                    m[f"balancing_{method}_{tag}"] = measure(
                        "train_neurovis", w, experiment="balancing", values={"method": method, "seed": "0"},
                        settings={"steps": steps}, size=steps)
            for tag, steps in (("a", 200), ("b", 600)):
                m[f"pinn_nv_{tag}"] = measure("train_neurovis", w, experiment="pinn_nv",
                                              values={"beta": "30", "c_r": "1", "seed": "0"},
                                              settings={"iterations": steps}, size=steps)
            m["cophy"] = measure("train_neurovis", w, experiment="cophy", values={"model": "cophy", "seed": "0"},
                                 settings={}, size=1)
            sub = w / "cifar"
            sub.mkdir()
            measure("synthetic_data", sub, dataset="cifar10", n_train=4096, n_test=100)
            for model in ("cnn", "mlp"):
                for tag, n in (("a", 256), ("b", 4096)):
                    m[f"cifar_{model}_{tag}"] = measure(
                        "train_neurovis", sub, experiment="cifar_small", values={"model": model, "seed": "0"},
                        settings={"epochs": 1}, problem={"n_train": n, "n_eval": 100, "n_test": 100}, size=n)
            for tag, n_models in (("a", 301), ("b", 602)):
                m[f"autoencoder_{tag}"] = {**measure("autoencoder", w, n_models=n_models, epochs=5),
                                           "n_models": n_models}
    return m


def report(m: dict, planned: dict) -> str:
    """The cost table: per experiment and rule, jobs x CPU seconds per job (typical, and the cap where the
    settings allow longer), peak memory; totals; jobs and SLURM submissions."""
    from losstopo.experiments import find
    from losstopo.experiments.neurovis import groups

    config = paper_config()
    start = statistics.median(r["process_cpu"] - r["cpu"] for r in m.values())  # interpreter, imports, set-up
    h = config["hessian"]
    budget = h["max_iter"] + h["trace_max_samples"] + h.get("hutchpp_hvps", 0) + h["esd_runs"] * h["esd_steps"]
    n_hvp = m["pinn_hessian"]["size"]
    rows: list[tuple] = []  # (experiment, rule, jobs, typical s, cap s or None, peak MB, how)

    def add(exp, rule, jobs, typical, cap=None, peak=None, how=""):
        rows.append((exp, rule, jobs, typical, cap, peak, how))

    pinn = find(config, "pinn")
    n, kinds = len(pinn.runs(config)), len(pinn.kinds(config))
    nd = len(pinn.profile_runs(config)) if "fig_pA5_profiles_nd" in config["targets"] else 0
    # An L-BFGS iteration costs more as training goes on (more line-search evaluations): the cap takes the
    # slowest rate of the whole trainings of 1,000 iterations or more, over the fixed cost of the fit.
    f, s = fit(m["pinn_train_a"], m["pinn_train_b"])
    full = [r for k, r in m.items() if k.startswith("pinn_train_full")]
    s = max([s, *((r["cpu"] - f) / r["size"] for r in full if r["size"] >= 1000)])
    add("pinn", "train_pinn", n, statistics.mean(r["process_cpu"] for r in full) if full else None,
        start + f + s * config["pinn"]["iterations"], max(r["peak_mb"] for r in full or [m["pinn_train_b"]]),
        f"whole trainings at 3 sweep corners ({', '.join(str(r['size']) for r in full)} L-BFGS iterations); "
        f"cap: {1000 * s:.1f} ms an iteration x {config['pinn']['iterations']}")
    r = m["pinn_hessian"]
    add("pinn", "hessian", n, r["process_cpu"], start + r["cpu"] / r["size"] * budget, r["peak_mb"],
        f"paper settings: {r['size']} HVPs; cap: all {budget}")
    if "pinn_landscape_random_2d" in m:
        two = [m["pinn_landscape_random_2d"], m["pinn_landscape_hessian_2d"]]
        add("pinn", "landscape 2-D", n * kinds, statistics.mean(r["process_cpu"] for r in two), None,
            max(r["peak_mb"] for r in two), "51x51, random and Hessian directions")
        add("pinn", "topology 2-D", n * kinds, m["topology_2d"]["process_cpu"], None, m["topology_2d"]["peak_mb"])
        for dim in config["figures"].get("nd_dims", []):
            r, t = m[f"pinn_landscape_{dim}d"], m[f"topology_{dim}d"]
            add("pinn", f"landscape {dim}-D", nd, r["process_cpu"], None, r["peak_mb"], f"{r['size']} points")
            add("pinn", f"topology {dim}-D", nd, t["process_cpu"], None, t["peak_mb"])

    if "unet_epoch_a" in m:
        unet = find(config, "unet_crf")
        n = len(unet.runs(config))
        a, b, c = m["unet_epoch_a"], m["unet_epoch_b"], m["unet_epoch_c"]
        per_train = (b["cpu"] - a["cpu"]) / (b["size"] - a["size"])
        per_test = (c["cpu"] - a["cpu"]) / (c["n_test"] - a["n_test"])
        fixed = max(a["cpu"] - per_train * a["size"] - per_test * a["n_test"], 0.0)
        add("unet_crf", "train_unet_crf (epoch)", n, start + fixed + per_train * PETS["trainval"]
            + per_test * PETS["test"], None, max(r["peak_mb"] for r in (a, b, c)),
            f"{per_train:.2f} s a training image, {per_test:.2f} s a test image")
        f, s = fit(m["unet_hvp_a"], m["unet_hvp_b"])
        add("unet_crf", "hessian", n, start + f + s * n_hvp, start + f + s * budget,
            max(m["unet_hvp_a"]["peak_mb"], m["unet_hvp_b"]["peak_mb"]),
            f"{s:.1f} s an HVP x {n_hvp} (the PINN's count); cap: x {budget}")
        f, s = fit(m["unet_landscape_a"], m["unet_landscape_b"])
        points = config["unet_crf"]["landscape"]["steps"] ** 2
        add("unet_crf", "landscape 2-D", n, start + f + s * points, None, m["unet_landscape_b"]["peak_mb"],
            f"{s:.2f} s a point x {points}")
        add("unet_crf", "topology 2-D", n, m["topology_41"]["process_cpu"], None, m["topology_41"]["peak_mb"])

    if "resnet_epoch_a" in m:
        res = find(config, "resnet20")
        n, cfg = len(res.runs(config)), config["resnet20"]
        scale = cfg["eval_batches"] * cfg["eval_batch_size"] / 100  # measured on 100 evaluation images
        f, s = fit(m["resnet_epoch_a"], m["resnet_epoch_b"])
        add("resnet20", "train_resnet20", n, start + f + s * CIFAR10["train"] * cfg["epochs"], None,
            m["resnet_epoch_b"]["peak_mb"], f"{1000 * s:.1f} ms a training image an epoch x 50,000 x {cfg['epochs']}")
        f, s = fit(m["resnet_hvp_a"], m["resnet_hvp_b"])
        add("resnet20", "hessian", n, start + f + s * scale * n_hvp, start + f + s * scale * budget,
            m["resnet_hvp_b"]["peak_mb"], f"{s * scale:.0f} s an HVP on {cfg['eval_batches'] * cfg['eval_batch_size']}"
            f" images x {n_hvp}; cap x {budget}; peak at 100 images")
        f, s = fit(m["resnet_landscape_a"], m["resnet_landscape_b"])
        points = cfg["landscape"]["steps"] ** 2
        add("resnet20", "landscape 2-D", n, start + f + s * scale * points, None, m["resnet_landscape_b"]["peak_mb"],
            f"{s * scale:.1f} s a point x {points}")
        add("resnet20", "topology 2-D", n, m["topology_2d"]["process_cpu"], None, m["topology_2d"]["peak_mb"])

    if "cophy" in m:
        tr = config["trajectories"]
        steps = tr["balancing"]["train"]["steps"]
        proxy = {"gradnorm": "gradnorm", "lra": "gradnorm", "ntk": "ntk"}
        methods = sorted(set(tr["balancing"]["methods"]) | {"const", "ntk"})
        costs = []
        for method in methods:
            key = proxy.get(method, "ew")
            f, s = fit(m[f"balancing_{key}_a"], m[f"balancing_{key}_b"])
            costs.append(start + f + s * steps)
        add("paper N", "train_balancing", len(methods), statistics.mean(costs), None,
            max(m[f"balancing_{k}_b"]["peak_mb"] for k in ("ew", "gradnorm", "ntk")),
            f"{steps} steps; ew-like, gradnorm-like (lra) and ntk measured")
        f, s = fit(m["pinn_nv_a"], m["pinn_nv_b"])
        nv = config["neurovis"]["pinn"]
        add("paper N", "train_pinn_nv", planned["jobs"].get("train_pinn_nv", 0), start + f + s * nv["iterations"],
            None, m["pinn_nv_b"]["peak_mb"], f"{nv['iterations']} Adam steps")
        add("paper N", "train_cophy", planned["jobs"].get("train_cophy", 0), m["cophy"]["process_cpu"], None,
            m["cophy"]["peak_mb"], "whole run")
        epochs = tr["cifar_small"]["train"]["epochs"]
        costs = [start + f + s * CIFAR10["train"] * epochs
                 for f, s in (fit(m[f"cifar_{k}_a"], m[f"cifar_{k}_b"]) for k in ("cnn", "mlp"))]
        add("paper N", "train_cifar_small", 2, statistics.mean(costs), None,
            max(m[f"cifar_{k}_b"]["peak_mb"] for k in ("cnn", "mlp")), f"50,000 images x {epochs} epochs")
        per_epoch = [(m[f"autoencoder_{k}"]["cpu"] / m[f"autoencoder_{k}"]["size"], m[f"autoencoder_{k}"]["n_models"])
                     for k in ("a", "b")]
        slope = (per_epoch[1][0] - per_epoch[0][0]) / (per_epoch[1][1] - per_epoch[0][1])
        fixed = per_epoch[0][0] - slope * per_epoch[0][1]
        epochs = config["neurovis"]["autoencoder"]["epochs"]
        checkpoints = {"pinn_nv": nv["iterations"] // nv["checkpoint_every"] + 1,
                       "balancing": steps // tr["balancing"]["train"]["checkpoint_every"] + 1,
                       "cophy": tr["cophy"]["train"]["steps"] // tr["cophy"]["train"]["checkpoint_every"] + 1,
                       "cifar_small": tr["cifar_small"]["train"]["epochs"] + 1}
        caps = []
        for group, method in planned["embeddings"]:
            n_models = sum(checkpoints.get(t.model.split("/")[1], 301) for t in groups(config)[group].trajectories)
            caps.append(start + (epochs * (fixed + slope * n_models) if method.startswith("nv") else
                                 m["pinn_landscape_random_2d"]["cpu"]))
        add("paper N", "neurovis_landscape", len(caps), None, sum(caps) / max(len(caps), 1),
            max(m[f"autoencoder_{k}"]["peak_mb"] for k in ("a", "b")),
            f"{1000 * (fixed + slope * 301):.0f} ms an epoch for 301 models; cap: {epochs} epochs, no early stop")

    counted = sum(r[2] for r in rows if r[0] in ("pinn", "unet_crf", "resnet20", "paper N"))
    other = sum(planned["jobs"].values()) - counted
    add("other", "run tables, figures, data", other, start + 10, None, None, "not measured: start-up + 10 s")

    def hours(seconds):
        return "" if seconds is None else f"{seconds / 3600:,.1f}"

    lines = ["| experiment | rule | jobs | CPU s a job | cap | CPU-h | cap CPU-h | peak MB | how |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    totals: dict[str, list[float]] = {}
    for exp, rule, jobs, typical, cap, peak, how in rows:
        typ_h = None if typical is None else jobs * typical
        cap_h = jobs * (cap if cap is not None else typical)
        tot = totals.setdefault(exp, [0.0, 0.0, 0])
        tot[0] += typ_h or 0.0
        tot[1] += cap_h
        tot[2] += jobs
        lines.append(f"| {exp} | {rule} | {jobs:,} | {'' if typical is None else f'{typical:,.0f}'} | "
                     f"{'' if cap is None else f'{cap:,.0f}'} | {hours(typ_h)} | {hours(cap_h)} | "
                     f"{'' if peak is None else f'{peak:,.0f}'} | {how} |")
    subs = {"pinn": planned["groups"].get("pinn", 0),
            "unet_crf": planned["groups"].get("unet_crf", 0) + planned["groups"].get("unet_crf_epochs", 0),
            "resnet20": planned["groups"].get("resnet20", 0),
            "paper N": planned["groups"].get("trajectories", 0) + sum(
                planned["single"].get(r, 0) for r in ("train_balancing", "train_pinn_nv", "train_cophy",
                                                      "train_cifar_small", "neurovis_landscape"))}
    subs["other"] = sum(planned["groups"].values()) + sum(planned["single"].values()) - sum(subs.values())
    lines += ["", "| experiment | jobs | SLURM jobs (grouped) | CPU-h | cap CPU-h |", "|---|---:|---:|---:|---:|"]
    for exp, (typ, cap, jobs) in totals.items():
        lines.append(f"| {exp} | {jobs:,} | {subs.get(exp, 0):,} | {hours(typ)} | {hours(cap)} |")
    lines.append(f"| **paper config** | {sum(t[2] for t in totals.values()):,} | {sum(subs.values()):,} | "
                 f"{hours(sum(t[0] for t in totals.values()))} | {hours(sum(t[1] for t in totals.values()))} |")
    lines.append(f"\nStart-up per job (interpreter, imports, problem): {start:.1f} CPU s. One thread, this "
                 "machine's CPU; no GPU. Typical: the measured count of iterations/HVPs; cap: what the settings "
                 "allow at most.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the measurements and the plan here")
    parser.add_argument("--from-json", type=Path, help="tabulate the measurements of an earlier --json")
    parser.add_argument("--replan", action="store_true",
                        help="with --from-json: count the jobs of today's workflow, not the saved plan's")
    parser.add_argument("--only", nargs="+", choices=["pinn", "unet", "resnet", "paper_n"],
                        help="measure only these sections (the PINN's training and Hessian always)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.work, json.loads(args.kwargs))
        return
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
    else:
        saved = {"measurements": run_measurements(set(args.only or []))}
    if args.replan or not args.from_json:
        saved["plan"] = plan()
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1))
    print(report(saved["measurements"], saved["plan"]))


if __name__ == "__main__":
    main()
