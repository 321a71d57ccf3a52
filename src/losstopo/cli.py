"""`losstopo hessian | landscape | topology | analyze`: the workflow's per-model stages on one checkpoint;
`losstopo findings`: which verdicts of findings.csv survived a rerun with other seeds.

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
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, get_type_hints

import numpy as np
import yaml

from losstopo import paths as layout
from losstopo.settings import KINDS, STAGES, DirectionSettings, Settings, schema_node

COMMANDS = {
    "hessian": "top-k Hessian eigenpairs, trace and spectral density (hessian.json, eigvecs.npy, esd.npz)",
    "landscape": "loss landscapes along random or Hessian directions (landscape_<kind>_<dim>d.npz/.vti/.png)",
    "topology": "merge tree, persistence pairs, metrics, profile of landscapes (topology_<kind>_<dim>d.*)",
    "analyze": "all three, plus the plots",
}
FINDINGS_HELP = "which claims of findings.csv kept their verdict over runs with other seeds (Markdown)"
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
SHARED_NAMES = ("seed", "dtype")  # settings of several stages: their options name the stage (--hessian-seed)
# landscape fields without an option of their own: --kind gives kinds, --steps with --dim gives steps_3d and
# steps_4d, and the CLI keeps no chunk store to save
NOT_OPTIONS = ("kinds", "steps_3d", "steps_4d", "save_every_s")
# options whose meaning differs from their config key's schema description
HELP = {"steps": "points per axis of the --dim landscape (odd: the model is the centre point)"}


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


def _option(stage: str, name: str) -> str:
    """The option of settings field `name` of `stage`: --name, or --<stage>-name for SHARED_NAMES."""
    return "--" + (f"{stage}_{name}" if name in SHARED_NAMES else name).replace("_", "-")


def _scalar_fields(settings: type) -> list[tuple[str, type]]:
    """(name, type) of each field of a settings class that is one value, not a kind's settings or a list."""
    hints = get_type_hints(settings)
    return [(f.name, hints[f.name]) for f in fields(settings) if hints[f.name] in (int, float, str, bool)]


def _add_option(group: Any, stage: str, name: str, kind: type, keys: tuple[str, ...], default: str) -> None:
    """The option of field `name` of `stage` (dest <stage>_<name>): type, choices and help from the schema."""
    node = schema_node(*keys)
    text = f"{HELP.get(name) or node.get('description', name)} (default {default})".replace("%", "%%")
    dest = f"{stage}_{name}"
    if kind is bool:
        group.add_argument(_option(stage, name), dest=dest, action=argparse.BooleanOptionalAction, help=text)
    else:
        choices = node.get("enum")
        metavar = None if choices else name.upper()
        group.add_argument(
            _option(stage, name), dest=dest, type=kind, choices=choices, metavar=metavar, help=text
        )


def _stage_options(p: argparse.ArgumentParser, stage: str) -> None:
    """An option per field of the stage's settings (`losstopo.settings`); a direction kind's field
    (--distance, --normalization, --ignore-bias) sets it for every kind."""
    group = p.add_argument_group(f"{stage} (config section `{stage}`)")
    defaults = STAGES[stage]()
    if stage == "landscape":
        kinds = " and ".join(defaults.kinds)
        group.add_argument(
            "--kind",
            action="append",
            choices=["random", "hessian"],
            help=f"direction kind (repeat for several; default: the config's kinds, else {kinds})",
        )
        group.add_argument(
            "--dim", type=int, default=2, choices=[2, 3, 4], help="landscape dimension (default 2)"
        )
    for name, kind in _scalar_fields(STAGES[stage]):
        if name in NOT_OPTIONS:
            continue
        default = getattr(defaults, name)
        if name == "steps":
            default = f"{defaults.steps}, {defaults.steps_3d}, {defaults.steps_4d} for --dim 2, 3, 4"
        _add_option(group, stage, name, kind, (stage, name), str(default))
    if stage == "landscape":
        for name, kind in _scalar_fields(DirectionSettings):
            default = ", ".join(f"{k} {getattr(getattr(defaults, k), name)}" for k in KINDS)
            _add_option(group, stage, name, kind, (stage, "random", name), f"{default}; sets every kind's")


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
            p.add_argument("--kind", action="append", choices=["random", "hessian"],
                           help="kinds of the landscapes in --out (repeat for several; default: config's)")
            p.add_argument("--dim", type=int, default=2, choices=[2, 3, 4],
                           help="dimension of the landscapes in --out (default 2)")
        if name in ("hessian", "analyze"):
            _stage_options(p, "hessian")
        if name in ("landscape", "analyze"):
            _stage_options(p, "landscape")
        if name in ("topology", "analyze"):
            _stage_options(p, "topology")
        p.add_argument("--out", required=True, help="output folder (the workflow's run folder layout)")
        p.add_argument("--device", help="cpu, cuda or cuda:<i> (default: cuda when available)")
        p.add_argument("--quiet", action="store_true", help="no progress bars or messages")
        if name != "hessian":
            p.add_argument("--no-plots", dest="plots", action="store_false", help="skip the .png figures")
    p = subs.add_parser("findings", help=FINDINGS_HELP, description=FINDINGS_HELP)
    p.add_argument("runs", nargs="+", metavar="FINDINGS_CSV",
                   help="results/tables/findings.csv of each run of one config with other seeds (two or more)")
    p.add_argument("--out", help="also write the summary to this Markdown file")
    return top


def run_findings(args: argparse.Namespace) -> None:
    """Print (and with --out write) which claims kept their verdict over the runs' findings.csv files."""
    import pandas as pd

    from losstopo.findings import COLUMNS, replication, replication_summary

    if len(args.runs) < 2:
        raise InputError("give two or more findings.csv files, one per run")
    runs = {}
    for path in args.runs:
        if not Path(path).is_file():
            raise InputError(f"{path}: no such file (a run's results/tables/findings.csv)")
        frame = pd.read_csv(path)
        if missing := [c for c in COLUMNS if c not in frame.columns]:
            raise InputError(f"{path}: not a findings.csv (no column {', '.join(missing)})")
        runs[path] = frame
    text = replication_summary(replication(runs))
    print(text, end="")
    if args.out:
        Path(args.out).write_text(text)


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
) -> Settings:
    """Stage settings: the schema's defaults <- config sections <- the entry's overrides <- options."""
    s = Settings.from_sections(stages, entry)
    opts = vars(args)

    def given(stage: str, settings: type) -> dict[str, Any]:
        """The fields of `settings` that options of `stage` set."""
        dests = {name: f"{stage}_{name}" for name, _ in _scalar_fields(settings)}
        return {name: opts[dest] for name, dest in dests.items() if opts.get(dest) is not None}

    changes = {stage: given(stage, settings) for stage, settings in STAGES.items()}
    steps = changes["landscape"].pop("steps", None)
    land = replace(s.landscape, **changes["landscape"])
    land = land.for_every_kind(**given("landscape", DirectionSettings))
    if steps is not None:
        land = land.with_steps(steps, dims=(args.dim,))
    if opts.get("kind"):
        land = replace(land, kinds=tuple(dict.fromkeys(opts["kind"])))
    hessian, topology = (replace(getattr(s, stage), **changes[stage]) for stage in ("hessian", "topology"))
    return Settings(hessian, land, topology)


def import_model(args: argparse.Namespace, name: str, entry: dict[str, Any], out: Path) -> Path:
    """Check the entry's checkpoint and write out/model.pt + metrics.json; or use --model as it is."""
    from losstopo.api import save_imported
    from losstopo.problems.checkpoints import checkpoint_files
    from losstopo.problems.user import import_checkpoint

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
    save_imported(imported, out / layout.MODEL, out / layout.METRICS)
    return out / layout.MODEL


def landscape_paths(out: Path, kind: str, dim: int) -> tuple[Path, Path, Path]:
    return tuple(out / layout.landscape(kind, dim, ext) for ext in ("npz", "vti", "png"))


def run(args: argparse.Namespace) -> None:
    """Carry out one command (inputs checked before anything is written)."""
    from losstopo import api, artifacts
    from losstopo.plots.landscape import draw_landscape_report

    out = Path(args.out)
    stream = None if args.quiet else sys.stderr
    say = (lambda _: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    name, entry, stages = read_config(args)
    s = settings_from(args, entry, stages)
    if args.command == "topology":
        return run_topology(args, out, s, say)
    kinds = s.landscape.kinds
    if args.command in ("landscape", "analyze") and "pca" in kinds:
        raise InputError("landscape kind pca needs a training trajectory; use --kind random and/or hessian")
    eigvecs = None
    if args.command == "landscape" and "hessian" in kinds:
        if not (out / layout.EIGVECS).is_file():
            raise InputError(
                f"kind hessian needs {out / 'eigvecs.npy'}: run `losstopo hessian --out {out}` first"
            )
        eigvecs = np.load(out / layout.EIGVECS)
    model = import_model(args, name, entry, out)
    spec = artifacts.load_model(model)[1]

    def load(dtype: str):
        problem, theta, _ = artifacts.load_problem(model, dtype)
        return problem, theta

    if args.command == "hessian":
        problem, theta = load(s.hessian.dtype)
        if args.device:
            theta = theta.to(args.device)
        report = api.compute_hessian(problem, theta, s.hessian.to_dict(), spec, stream)
        report.save(out / layout.HESSIAN, out / layout.EIGVECS, out / layout.ESD)
        say(f"top eigenvalues {report.summary['eigenvalues']}, trace {report.summary['trace']:.6g} -> {out}")
    elif args.command == "landscape":
        for kind in kinds:
            job = s.landscape.job(kind, args.dim)
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
            report.save(npz, vti)
            if args.plots:
                draw_landscape_report(png, report, title=f"{kind} directions, {args.dim}-D ({model})")
    else:
        result = api.analyze_problem(
            load, spec, s, kinds=kinds, dim=args.dim, device=args.device, progress=stream, log=say
        )
        result.save(out, plots=args.plots)
    say(f"wrote {out}")


def run_topology(args: argparse.Namespace, out: Path, s: Settings, say) -> None:
    """Topology of the given landscapes, or of out/landscape_<kind>_<dim>d.npz for each kind."""
    from losstopo import api
    from losstopo.plots.topology import draw_topology

    paths = [
        Path(p)
        for p in args.landscape
        or [landscape_paths(out, kind, args.dim)[0] for kind in s.landscape.kinds]
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
        topology = api.compute_topology(loss, axes, s.topology.to_dict())
        stem = path.name.removeprefix("landscape_").removesuffix(".npz")
        topology_files = [out / f"topology_{stem}.{ext}" for ext in ("json", "npz", "png")]
        api.save_topology_files(topology, *topology_files[:2])
        if args.plots:
            draw_topology(topology_files[2], topology)
        say(f"{path}: {topology.metrics}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `losstopo` command; returns the exit status."""
    from losstopo.problems.checkpoints import UserModelError

    args = parser().parse_args(argv)
    try:
        run_findings(args) if args.command == "findings" else run(args)
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
