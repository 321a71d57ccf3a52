"""`losstopo hessian | landscape | topology | analyze`: the workflow's per-model stages on one checkpoint.

The model is a config entry (the keys of `config["models"][name]`, as options or from `--config`) or a
`model.pt` the workflow wrote (`--model`). Outputs go to `--out` with the workflow's names (model.pt,
metrics.json, hessian.json, eigvecs.npy, esd.npz, landscape_<kind>_<dim>d.{npz,vti,png},
topology_<kind>_<dim>d.{json,npz,png}), computed by the functions the workflow scripts call.
A bad input exits with status 2 and one line naming it; nothing is written before inputs are checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

COMMANDS = {
    "hessian": "top-k Hessian eigenpairs, trace and spectral density (hessian.json, eigvecs.npy, esd.npz)",
    "landscape": "loss landscapes along random or Hessian directions (landscape_<kind>_<dim>d.npz/.vti/.png)",
    "topology": "merge tree, persistence pairs, metrics, profile of landscapes (topology_<kind>_<dim>d.*)",
    "analyze": "all three, plus the plots",
}
ENTRY_OPTIONS = (
    "module",
    "module_args",
    "batches",
    "batches_args",
    "dataset",
    "dataset_args",
    "batch_size",
    "n_batches",
    "loss",
    "format",
    "problem",
    "activation",
)
HESSIAN_OPTIONS = {
    "top_k": int,
    "tol": float,
    "max_iter": int,
    "trace_rtol": float,
    "trace_max_samples": int,
    "esd_runs": int,
    "esd_steps": int,
}
TOPOLOGY_OPTIONS = {"connectivity": str, "k": int, "persistence_threshold": float}


class InputError(ValueError):
    """A bad command-line input: reported as one line, exit status 2."""


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r} ({err.msg})") from err


def _model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (a config entry's keys, or a workflow model.pt)")
    g.add_argument(
        "--config", help="YAML: a workflow config with `models:` (pick one with --entry) or one entry"
    )
    g.add_argument("--entry", help="the entry of config `models` to use (default: the only one)")
    g.add_argument("--model", help="a model.pt written by the workflow (instead of an entry)")
    g.add_argument("--checkpoint", help="the checkpoint file (default: the entry's only checkpoint)")
    g.add_argument(
        "--module", help="import path of the factory building the nn.Module (pkg.mod:fn or file.py:fn)"
    )
    g.add_argument("--module-args", type=_json, help="JSON keyword arguments of the factory")
    g.add_argument("--batches", help="import path of a function returning (inputs, targets) batches")
    g.add_argument("--batches-args", type=_json, help="JSON keyword arguments of --batches")
    g.add_argument("--dataset", help="import path of a torch Dataset (or a function returning one)")
    g.add_argument("--dataset-args", type=_json, help="JSON keyword arguments of --dataset")
    g.add_argument("--batch-size", type=int, help="samples per batch of --dataset")
    g.add_argument("--n-batches", type=int, help="use only the first N batches")
    g.add_argument("--loss", help="cross_entropy, mse, or the import path of a per-sample loss")
    g.add_argument("--format", choices=["state_dict", "module", "deepxde"], help="checkpoint format")
    g.add_argument(
        "--problem", type=_json, help='format deepxde: the project problem, e.g. {"name": "convection"}'
    )
    g.add_argument("--activation", help="format deepxde: the FNN's activation (default tanh)")


def _hessian_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("hessian (config section `hessian`)")
    for key, kind in HESSIAN_OPTIONS.items():
        g.add_argument(f"--{key.replace('_', '-')}", type=kind, dest=f"hessian_{key}")
    g.add_argument("--hessian-seed", type=int)
    g.add_argument("--hessian-dtype", choices=["float32", "float64"])


def _landscape_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("landscape (config section `landscape`)")
    g.add_argument(
        "--kind",
        action="append",
        choices=["random", "hessian"],
        help="direction kind (repeat for several; default: the config's kinds)",
    )
    g.add_argument("--dim", type=int, default=2, choices=[2, 3, 4], help="landscape dimension (default 2)")
    g.add_argument("--steps", type=int, help="points per axis (odd keeps the model on the grid)")
    g.add_argument("--distance", type=float, help="half-width of the grid along each direction")
    g.add_argument("--normalization", choices=["filter", "layer", "none"])
    g.add_argument("--ignore-bias", action=argparse.BooleanOptionalAction, default=None)
    g.add_argument("--landscape-seed", type=int)
    g.add_argument("--chunk-memory-mb", type=int)
    g.add_argument("--landscape-dtype", choices=["float32", "float64"])


def _topology_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("topology (config section `topology`)")
    g.add_argument("--connectivity", choices=["ttk", "axis", "full", "knn"])
    g.add_argument("--k", type=int, dest="topology_k", help="neighbours of the knn graph")
    g.add_argument("--persistence-threshold", type=float)


def parser() -> argparse.ArgumentParser:
    """The `losstopo` argument parser with one sub-command per stage."""
    top = argparse.ArgumentParser(prog="losstopo", description=__doc__.splitlines()[0])
    subs = top.add_subparsers(dest="command", required=True)
    for name, help_text in COMMANDS.items():
        p = subs.add_parser(name, help=help_text, description=help_text)
        if name != "topology":
            _model_options(p)
        else:
            p.add_argument("--config", help="YAML with a `topology` section (or a workflow config)")
            p.add_argument("--entry", help="the entry of config `models` whose overrides apply")
            p.add_argument("--landscape", action="append", help="landscape .npz (default: those in --out)")
            p.add_argument("--kind", action="append", choices=["random", "hessian"])
            p.add_argument("--dim", type=int, default=2, choices=[2, 3, 4])
        if name in ("hessian", "analyze"):
            _hessian_options(p)
        if name in ("landscape", "analyze"):
            _landscape_options(p)
        if name in ("topology", "analyze"):
            _topology_options(p)
        p.add_argument("--out", required=True, help="output folder (the workflow's run folder layout)")
        p.add_argument("--device", help="cpu, cuda or cuda:<i> (default: cuda when available)")
        p.add_argument("--quiet", action="store_true", help="no progress bars or messages")
        if name != "hessian":
            p.add_argument("--no-plots", dest="plots", action="store_false", help="skip the .png figures")
    return top


def read_config(args: argparse.Namespace) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]]]:
    """(entry name, entry keys, stage sections) from --config, before command-line overrides."""
    if not args.config:
        return args.entry or "cli", {}, {}
    path = Path(args.config)
    if not path.is_file():
        raise InputError(f"--config {path}: no such file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise InputError(f"--config {path}: not valid YAML ({str(err).splitlines()[0]})") from err
    stages = {k: data[k] for k in ("hessian", "landscape", "topology") if isinstance(data.get(k), dict)}
    models = data.get("models")
    if models is None:
        return args.entry or path.stem, {k: v for k, v in data.items() if k not in stages}, stages
    if not isinstance(models, dict) or not models:
        raise InputError(f"--config {path}: `models` must map entry names to entries")
    name = args.entry or (next(iter(models)) if len(models) == 1 else None)
    if name not in models:
        raise InputError(f"--config {path}: pick an entry with --entry, one of {sorted(models)}")
    return name, dict(models[name]), stages


def settings_from(
    args: argparse.Namespace, entry: dict[str, Any], stages: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Stage settings: the api defaults <- config sections <- the entry's overrides <- options."""
    from losstopo.api import DEFAULTS, KINDS
    from losstopo.config import merged

    s = {stage: merged(merged(DEFAULTS[stage], stages.get(stage)), entry.get(stage)) for stage in DEFAULTS}
    opts = vars(args)
    for key in HESSIAN_OPTIONS:
        if opts.get(f"hessian_{key}") is not None:
            s["hessian"][key] = opts[f"hessian_{key}"]
    for key, dest in (("seed", "hessian_seed"), ("dtype", "hessian_dtype")):
        if opts.get(dest) is not None:
            s["hessian"][key] = opts[dest]
    land = s["landscape"]
    for key, dest in (
        ("seed", "landscape_seed"),
        ("dtype", "landscape_dtype"),
        ("chunk_memory_mb", "chunk_memory_mb"),
    ):
        if opts.get(dest) is not None:
            land[key] = opts[dest]
    if opts.get("steps") is not None:
        land[{2: "steps", 3: "steps_3d", 4: "steps_4d"}[args.dim]] = args.steps
    for key in ("distance", "normalization", "ignore_bias"):
        if opts.get(key) is not None:
            for kind in KINDS:
                land[kind][key] = opts[key]
    for key, dest in (
        ("connectivity", "connectivity"),
        ("k", "topology_k"),
        ("persistence_threshold", "persistence_threshold"),
    ):
        if opts.get(dest) is not None:
            s["topology"][key] = opts[dest]
    if opts.get("kind"):
        land["kinds"] = list(dict.fromkeys(opts["kind"]))
    return s


def import_model(args: argparse.Namespace, name: str, entry: dict[str, Any], out: Path) -> Path:
    """Check the entry's checkpoint and write out/model.pt + metrics.json; or use --model as it is."""
    from losstopo.api import save_imported
    from losstopo.problems.user import checkpoint_files, import_checkpoint

    if args.model:
        if not Path(args.model).is_file():
            raise InputError(f"--model {args.model}: no such file; give a model.pt written by the workflow")
        return Path(args.model)
    for key in ENTRY_OPTIONS:
        value = getattr(args, key, None)
        if value is not None:
            entry[key] = value
    if args.checkpoint:
        files = checkpoint_files(name, args.checkpoint)
    else:
        files = checkpoint_files(name, entry.get("checkpoints"))
        if len(files) != 1:
            raise InputError(f"models.{name}: {len(files)} checkpoints match; pick one with --checkpoint")
    imported = import_checkpoint(name, entry, files[0])
    save_imported(imported, out / "model.pt", out / "metrics.json")
    return out / "model.pt"


def landscape_paths(out: Path, kind: str, dim: int) -> tuple[Path, Path, Path]:
    return tuple(out / f"landscape_{kind}_{dim}d.{ext}" for ext in ("npz", "vti", "png"))


def run(args: argparse.Namespace) -> None:
    """Carry out one command (inputs checked before anything is written)."""
    from losstopo import api, artifacts

    out = Path(args.out)
    stream = None if args.quiet else sys.stderr
    say = (lambda _: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    name, entry, stages = read_config(args)
    s = settings_from(args, entry, stages)
    if args.command == "topology":
        return run_topology(args, out, s, say)
    kinds = s["landscape"]["kinds"]
    if args.command in ("landscape", "analyze") and "pca" in kinds:
        raise InputError("landscape kind pca needs a training trajectory; use --kind random and/or hessian")
    eigvecs = None
    if args.command == "landscape" and "hessian" in kinds:
        if not (out / "eigvecs.npy").is_file():
            raise InputError(
                f"kind hessian needs {out / 'eigvecs.npy'}: run `losstopo hessian --out {out}` first"
            )
        eigvecs = np.load(out / "eigvecs.npy")
    model = import_model(args, name, entry, out)
    spec = artifacts.load_model(model)[1]

    def load(dtype: str):
        problem, theta, _ = artifacts.load_problem(model, dtype)
        return problem, theta

    if args.command == "hessian":
        problem, theta = load(s["hessian"]["dtype"])
        if args.device:
            theta = theta.to(args.device)
        report = api.compute_hessian(problem, theta, s["hessian"], spec, stream)
        report.save(out / "hessian.json", out / "eigvecs.npy", out / "esd.npz")
        say(f"top eigenvalues {report.summary['eigenvalues']}, trace {report.summary['trace']:.6g} -> {out}")
    elif args.command == "landscape":
        for kind in kinds:
            job = api.landscape_job(s["landscape"], kind, args.dim)
            problem, theta = load(job["dtype"])
            report = api.compute_landscape(
                problem,
                theta,
                spec,
                kind,
                args.dim,
                job,
                eigvecs=eigvecs,
                device=args.device,
                progress=stream,
                log=say,
            )
            npz, vti, png = landscape_paths(out, kind, args.dim)
            report.save(
                npz, vti, png if args.plots else None, title=f"{kind} directions, {args.dim}-D ({model})"
            )
    else:
        result = api.analyze_problem(
            load, spec, s, kinds=kinds, dim=args.dim, device=args.device, progress=stream, log=say
        )
        result.save(out, plots=args.plots)
    say(f"wrote {out}")


def run_topology(args: argparse.Namespace, out: Path, s: dict[str, dict[str, Any]], say) -> None:
    """Topology of the given landscapes, or of out/landscape_<kind>_<dim>d.npz for each kind."""
    from losstopo import api

    paths = [
        Path(p)
        for p in args.landscape
        or [landscape_paths(out, kind, args.dim)[0] for kind in s["landscape"]["kinds"]]
    ]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputError(
            f"landscape {missing[0]} does not exist: run `losstopo landscape --out {out}` first "
            f"or give --landscape"
        )
    for path in paths:
        with np.load(path) as data:
            if "loss" not in data.files or "axes" not in data.files:
                raise InputError(f"{path}: not a landscape file (needs arrays loss and axes)")
            loss, axes = data["loss"], data["axes"]
        topology = api.compute_topology(loss, axes, s["topology"])
        stem = path.name.removeprefix("landscape_").removesuffix(".npz")
        api.save_topology_files(
            topology,
            out / f"topology_{stem}.json",
            out / f"topology_{stem}.npz",
            out / f"topology_{stem}.png" if args.plots else None,
        )
        say(f"{path}: {topology.metrics}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `losstopo` command; returns the exit status."""
    from losstopo.problems.user import UserModelError

    args = parser().parse_args(argv)
    try:
        run(args)
    except (InputError, UserModelError) as err:
        print(f"losstopo {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(
            f"losstopo {args.command}: error: {str(err).splitlines()[0] if str(err) else repr(err)}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
