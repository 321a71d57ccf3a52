"""A researcher's own model as a `Problem`: a config entry of import paths, checkpoints and data.

An entry (`config["models"][name]`, or the CLI's options) names a module factory, the evaluation data
(a batches function, or a dataset and a batch size), the loss (`cross_entropy`, `mse` or the import path
of a per-sample loss `fn(outputs, targets) -> [N]`, vmap-compatible) and checkpoints (paths or globs):
a `state_dict`, a whole pickled module (`format: module`), or a DeepXDE `.pt` of an FNN
(`format: deepxde`, with `problem`, the project's problem whose loss the PINN minimises).
An import path is `package.module:attr` or `path/to/file.py:attr` (relative to the working folder).
Every error names the entry and says what was expected.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from losstopo.problems.base import Problem
from losstopo.problems.checkpoints import checkpoint_files, entry_error
from losstopo.problems.module import LOSSES, ModuleProblem

FORMATS = ("state_dict", "module", "deepxde")
WRAPPER_KEYS = ("state_dict", "model_state_dict")  # Lightning / DeepXDE-style checkpoint dicts
PROBLEM_KEYS = (
    "module",
    "module_args",
    "batches",
    "batches_args",
    "dataset",
    "dataset_args",
    "batch_size",
    "n_batches",
    "loss",
)


@dataclass(frozen=True)
class ImportedModel:
    """One checkpoint of an entry as the workflow stores it: flat vector, problem spec and buffers."""

    theta: Tensor
    problem_spec: dict[str, Any]
    buffers: dict[str, Tensor]
    problem: Problem
    checkpoint: str


def resolve(path: str, entry: str = "?", key: str = "module") -> Any:
    """The object an import path names: `pkg.mod:attr` or `file.py:attr` (attr may be dotted)."""
    where, sep, attr = str(path).partition(":")
    if not sep or not where or not attr:
        raise entry_error(
            entry,
            f"{key} = {path!r} is not an import path; write 'package.module:name' or "
            f"'path/to/file.py:name'",
        )
    try:
        module = _load_file(where) if where.endswith(".py") else import_module(where)
    except (ImportError, FileNotFoundError, SyntaxError) as err:
        raise entry_error(
            entry,
            f"{key} = {path!r} does not resolve: {err}; check the module path "
            f"(files are relative to {os.getcwd()})",
        ) from err
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise entry_error(entry, f"{key} = {path!r} does not resolve: {where} has no attribute {part!r}")
        obj = getattr(obj, part)
    return obj


def _load_file(file: str) -> Any:
    """Import a Python file once under a stable name derived from its absolute path."""
    full = Path(file).resolve()
    if not full.is_file():
        raise FileNotFoundError(f"no file {full}")
    name = f"losstopo_user_{full.stem}_{hashlib.sha1(str(full).encode()).hexdigest()[:8]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, full)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def sample_loss(entry: str, loss: str) -> Callable[[Tensor, Tensor], Tensor]:
    """The per-sample loss an entry names: a built-in or an import path."""
    if loss in LOSSES:
        return LOSSES[loss]
    if ":" not in str(loss):
        raise entry_error(
            entry, f"loss = {loss!r}; choose {sorted(LOSSES)} or the import path of a per-sample loss"
        )
    fn = resolve(loss, entry, "loss")
    if not callable(fn):
        raise entry_error(entry, f"loss = {loss!r} is not callable; it must be fn(outputs, targets) -> [N]")
    return fn


def factory(entry: str, settings: dict[str, Any]) -> Callable[[], nn.Module]:
    """A no-argument function building the entry's fresh `nn.Module`."""
    if "module" not in settings:
        raise entry_error(entry, "no `module` key; give the import path of a function or class building the model")
    make = resolve(settings["module"], entry, "module")
    kwargs = dict(settings.get("module_args") or {})

    def build_module() -> nn.Module:
        module = make(**kwargs)
        if not isinstance(module, nn.Module):
            raise entry_error(
                entry,
                f"module = {settings['module']!r} returned {type(module).__name__}, "
                f"not a torch.nn.Module",
            )
        return module

    return build_module


def load_batches(entry: str, settings: dict[str, Any]) -> list[tuple[Tensor, Tensor]]:
    """The evaluation batches: `batches(**batches_args)`, or `dataset(**dataset_args)` cut into batches."""
    if ("batches" in settings) == ("dataset" in settings):
        raise entry_error(
            entry,
            "give exactly one of `batches` (a function yielding (inputs, targets)) or "
            "`dataset` (with `batch_size`)",
        )
    if "batches" in settings:
        source = resolve(settings["batches"], entry, "batches")
        items = source(**dict(settings.get("batches_args") or {})) if callable(source) else source
        batches = list(items)
    else:
        if "batch_size" not in settings:
            raise entry_error(entry, "`dataset` needs `batch_size` (samples per evaluation batch)")
        source = resolve(settings["dataset"], entry, "dataset")
        dataset = source(**dict(settings.get("dataset_args") or {})) if callable(source) else source
        loader = torch.utils.data.DataLoader(dataset, batch_size=int(settings["batch_size"]), shuffle=False)
        batches = list(loader)
    limit = settings.get("n_batches")
    batches = batches[: int(limit)] if limit else batches
    return [_as_pair(entry, i, b) for i, b in enumerate(batches)]


def _as_pair(entry: str, index: int, batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise entry_error(entry, f"batch {index} is a {type(batch).__name__}, expected an (inputs, targets) pair")
    x, y = (torch.as_tensor(t) for t in batch)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise entry_error(
            entry,
            f"data of the wrong shape: batch {index} has inputs {tuple(x.shape)} and targets "
            f"{tuple(y.shape)}; expected the same number of samples in the first dimension",
        )
    return x, y


def check_data(entry: str, problem: ModuleProblem, theta: Tensor) -> None:
    """Run the model and the loss on every batch once; wrong shapes stop here, naming the entry."""
    with torch.no_grad():
        for i, (x, y) in enumerate(problem.batches):
            try:
                out = problem.forward(theta, x)
            except (RuntimeError, ValueError, TypeError) as err:
                raise entry_error(
                    entry,
                    f"data of the wrong shape: the model fails on batch {i}'s inputs "
                    f"{tuple(x.shape)}: {str(err).splitlines()[0]}",
                ) from err
            if problem.sample_loss is LOSSES["mse"] and out.shape != y.shape:
                raise entry_error(
                    entry,
                    f"data of the wrong shape: mse needs targets shaped like the outputs "
                    f"{tuple(out.shape)}, batch {i} has targets {tuple(y.shape)}",
                )
            if problem.sample_loss is LOSSES["cross_entropy"] and (
                y.is_floating_point() or y.shape != out.shape[:1] + out.shape[2:]
            ):
                raise entry_error(
                    entry,
                    f"data of the wrong shape: cross_entropy needs integer class targets "
                    f"{tuple(out.shape[:1] + out.shape[2:])} for outputs {tuple(out.shape)}, "
                    f"batch {i} has {y.dtype} targets {tuple(y.shape)}",
                )
            try:
                values = problem.sample_loss(out, y)
            except (RuntimeError, ValueError, TypeError, IndexError) as err:
                raise entry_error(
                    entry,
                    f"data of the wrong shape: the loss fails on batch {i} (outputs "
                    f"{tuple(out.shape)}, targets {tuple(y.shape)}): "
                    f"{str(err).splitlines()[0]}",
                ) from err
            if values.shape != (x.shape[0],):
                raise entry_error(
                    entry,
                    f"the loss must return one value per sample ({x.shape[0]}), "
                    f"got shape {tuple(values.shape)}",
                )


def build(settings: dict[str, Any], buffers: dict[str, Tensor] | None = None) -> ModuleProblem:
    """The registry's builder for problems named "module" (a spec written by `import_checkpoint`)."""
    from losstopo.problems.registry import DTYPES

    entry = settings.get("entry", "?")
    problem = ModuleProblem(
        factory(entry, settings),
        load_batches(entry, settings),
        loss="mse",
        dtype=DTYPES[settings.get("dtype", "float32")],
        buffers=buffers,
    )
    problem.sample_loss = sample_loss(entry, settings.get("loss", "mse"))
    return problem


def read_state_dict(entry: str, path: str, fmt: str) -> dict[str, Tensor]:
    """The tensors of a checkpoint: a state_dict (possibly wrapped), a pickled module, or DeepXDE's dict."""
    if fmt not in FORMATS:
        raise entry_error(entry, f"format = {fmt!r}; choose one of {list(FORMATS)}")
    if not Path(path).is_file():
        raise entry_error(entry, f"checkpoint file {path!r} does not exist; train the model or fix `checkpoints`")
    try:
        data = torch.load(path, map_location="cpu", weights_only=fmt != "module")
    except Exception as err:  # torch raises many types for unreadable or unpickleable files
        hint = (
            "a whole pickled module needs format: module" if fmt != "module" else "is its class importable?"
        )
        raise entry_error(entry, f"cannot read checkpoint {path}: {str(err).splitlines()[0]} ({hint})") from err
    if isinstance(data, nn.Module):
        data = data.state_dict()
    for key in WRAPPER_KEYS:
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if not isinstance(data, dict) or not all(isinstance(v, Tensor) for v in data.values()):
        raise entry_error(
            entry,
            f"checkpoint {path} holds a {type(data).__name__}, not a state_dict of tensors "
            f"(or a dict with one under {list(WRAPPER_KEYS)}), nor a pickled nn.Module",
        )
    return dict(data)


def split_state(entry: str, path: str, module: nn.Module, state: dict[str, Tensor]) -> tuple[dict, dict]:
    """(parameters, buffers) of `state`, after checking its keys and shapes against `module`'s."""
    expected = module.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise entry_error(
            entry,
            f"checkpoint {path} does not match the factory's module: missing keys "
            f"{missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected keys "
            f"{unexpected[:5]}{'...' if len(unexpected) > 5 else ''}; is `module` the "
            f"architecture (and module_args) the checkpoint was saved from?",
        )
    wrong = {
        k: (tuple(state[k].shape), tuple(v.shape)) for k, v in expected.items() if state[k].shape != v.shape
    }
    if wrong:
        key, (got, want) = next(iter(wrong.items()))
        raise entry_error(
            entry,
            f"checkpoint {path} does not match the factory's module: {key} has shape {got}, "
            f"the module expects {want} ({len(wrong)} mismatched tensors)",
        )
    names = {n for n, _ in module.named_parameters()}
    return (
        {k: v for k, v in state.items() if k in names},
        {k: v for k, v in state.items() if k not in names},
    )


def module_spec(entry: str, settings: dict[str, Any], dtype: str) -> dict[str, Any]:
    """The problem spec saved in model.pt for a module entry (what `build` rebuilds it from)."""
    unknown = sorted(
        set(settings)
        - set(PROBLEM_KEYS)
        - {"checkpoints", "format", "activation", "hessian", "landscape", "topology", "dtype"}
    )
    if unknown:
        raise entry_error(
            entry,
            f"unknown keys {unknown}; a module entry takes {sorted(PROBLEM_KEYS)}, checkpoints, "
            f"format and hessian/landscape/topology overrides",
        )
    spec = {k: settings[k] for k in PROBLEM_KEYS if k in settings}
    return {"name": "module", "entry": entry, **spec, "loss": settings.get("loss", "mse"), "dtype": dtype}


def import_checkpoint(
    entry: str, settings: dict[str, Any], checkpoint: str, dtype: str = "float32"
) -> ImportedModel:
    """One checkpoint of an entry as a flat vector with the problem spec that rebuilds it, data checked."""
    fmt = settings.get("format", "state_dict")
    if fmt == "deepxde":
        return import_deepxde(entry, settings, checkpoint, dtype)
    spec = module_spec(entry, settings, dtype)
    state = read_state_dict(entry, checkpoint, fmt)
    fresh = factory(entry, spec)()
    params, buffers = split_state(entry, checkpoint, fresh, state)
    problem = build(spec, buffers)
    theta = problem.spec.flatten(params).to(problem.dtype)
    check_data(entry, problem, theta)
    return ImportedModel(theta, spec, buffers, problem, checkpoint)


def _deepxde_fnn(entry: str, state: dict[str, Tensor], activation: str, path: str) -> nn.Module:
    """A DeepXDE FNN (PyTorch backend) of the widths stored in `state`, loaded with it."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde

    n_layers = len([k for k in state if k.startswith("linears.") and k.endswith(".weight")])
    if n_layers == 0:
        raise entry_error(entry, f"checkpoint {path} has no `linears.<i>.weight` tensors: not a DeepXDE FNN")
    widths = [state["linears.0.weight"].shape[1]] + [
        state[f"linears.{i}.weight"].shape[0] for i in range(n_layers)
    ]
    net = dde.nn.FNN(widths, activation, "zeros")
    missing, unexpected = net.load_state_dict(
        {k: v.to(torch.get_default_dtype()) for k, v in state.items()}, strict=False
    )
    if missing or unexpected:
        raise entry_error(
            entry,
            f"checkpoint {path} does not match a DeepXDE FNN {widths}: missing {missing}, "
            f"unexpected {unexpected}",
        )
    return net.double()


def import_deepxde(entry: str, settings: dict[str, Any], checkpoint: str, dtype: str) -> ImportedModel:
    """A DeepXDE FNN checkpoint as the project's problem named by `problem` (e.g. convection)."""
    from losstopo.interop.deepxde import deepxde_widths, flat_from_deepxde
    from losstopo.problems.registry import make_problem

    target = dict(settings.get("problem") or {})
    if target.get("name") != "convection":
        raise entry_error(
            entry,
            "format: deepxde needs `problem: {name: convection, beta: ..., ...}`, the project "
            "problem whose loss the PINN minimises (only the convection PINN maps onto an FNN)",
        )
    state = read_state_dict(entry, checkpoint, "deepxde")
    net = _deepxde_fnn(entry, state, settings.get("activation", "tanh"), checkpoint)
    widths = deepxde_widths(net)
    if widths[0] != 2 or widths[-1] != 1:
        raise entry_error(
            entry,
            f"checkpoint {checkpoint}: the FNN maps {widths[0]} -> {widths[-1]}; the convection "
            f"PINN needs inputs (x, t) and one output",
        )
    spec = {**target, "hidden": widths[1:-1], "dtype": dtype}
    problem = make_problem(spec)
    try:
        theta = flat_from_deepxde(net, problem.spec).to(problem.config.dtype)
    except ValueError as err:
        raise entry_error(entry, f"checkpoint {checkpoint}: {err}") from err
    return ImportedModel(theta, spec, {}, problem, checkpoint)


def validate_entry(entry: str, settings: dict[str, Any]) -> list[str]:
    """Check an entry end to end (imports, every checkpoint's keys, data shapes); its checkpoint files."""
    files = checkpoint_files(entry, settings.get("checkpoints"))
    for file in files:
        import_checkpoint(entry, settings, file)
    return files
