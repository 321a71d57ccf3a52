"""The trainers of the experiments, one function each, all returning a `Trained`.

Each takes the run's problem spec and training settings (made by its experiment from the config), the
run's sweep values (its path's wildcards) and its input files by name, and trains one run. The
workflow's one training script looks a trainer up in `TRAINERS` by the name its experiment gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

from losstopo.problems.base import ParamSpec
from losstopo.problems.registry import make_problem
from losstopo.provenance import provenance
from losstopo.training.balancing import (
    BalancedResult,
    CophySchedule,
    EqualWeights,
    make_balancer,
    train_balanced,
)
from losstopo.training.epochs import EpochConfig, epoch_trajectory, evaluate_module, load_state, train_epoch
from losstopo.training.optimize import TrainConfig, train
from losstopo.training.trained import Trained

Inputs = Mapping[str, Any]
Trainer = Callable[[dict[str, Any], dict[str, Any], Mapping[str, str], Inputs], Trained]
RESNET_VARIANTS = {"residual": True, "plain": False}


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_pinn(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """A convection PINN by L-BFGS or Adam from `problem.init(seed)`, with its prediction on the grid."""
    seed = int(run["seed"])
    problem = make_problem(problem_spec)
    result = train(problem, problem.init(seed), TrainConfig(**settings), progress=True)
    metrics = problem.evaluate(result.theta)
    metrics.update(diverged=result.diverged, converged=result.converged, iterations=result.steps[-1],
                   beta=float(problem_spec["beta"]), c_r=float(problem_spec["c_r"]), lr=float(settings["lr"]),
                   seed=seed)
    meta = provenance(problem=problem_spec, train=settings, seed=seed)
    status = "DIVERGED (kept, marked in metrics.json)" if result.diverged else "ok"
    return Trained(
        result.theta, problem_spec, metrics, meta,
        f"rel_l2_error={metrics['rel_l2_error']:.4g} iterations={result.steps[-1]} {status} "
        f"in {result.seconds:.1f} s",
        trajectory=(result.trajectory, result.steps, result.losses),
        prediction={"x": problem.x, "t": problem.t, "u_pred": problem.predict(result.theta),
                    "u_exact": problem.u_exact},
    )


def train_resnet20(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """ResNet-20 (variant residual | plain) by SGD epochs; trajectory: init and every epoch's vector."""
    from losstopo.data.cifar import load_cifar10
    from losstopo.problems.resnet import make_resnet20

    variant, seed = run["variant"], int(run["seed"])
    if variant not in RESNET_VARIANTS:
        raise ValueError(f"wildcard variant must be one of {sorted(RESNET_VARIANTS)}, got {variant!r}")
    spec = {**problem_spec, "residual": RESNET_VARIANTS[variant]}
    rest = dict(settings)
    epochs, n_train = int(rest.pop("epochs")), rest.pop("n_train")
    n_test = rest.pop("n_test", None)
    config = EpochConfig(**rest)
    root = spec["data"]["root"]
    train_set = load_cifar10(root, "train", limit=n_train)
    test_set = load_cifar10(root, "test", limit=n_test)
    torch.manual_seed(seed)  # the same initialisation as the problem's init(seed)
    module = make_resnet20(spec).to(_device())
    print(f"ResNet-20 {variant}, seed {seed}: {sum(p.numel() for p in module.parameters())} parameters, "
          f"{len(train_set[0])} training images ({spec['data']['source']}), {epochs} epochs")
    flat = ParamSpec.from_module(module)
    initial = evaluate_module(module, train_set, F.cross_entropy, config.batch_size)
    thetas, losses, _ = epoch_trajectory(
        module, lambda m: flat.flatten(dict(m.named_parameters())).cpu(), train_set, config, epochs, seed,
        initial["loss"], lambda state, theta: state.loss, progress=True)
    trained = evaluate_module(module, train_set, F.cross_entropy, config.batch_size)
    test = evaluate_module(module, test_set, F.cross_entropy, config.batch_size)
    metrics = {
        "test_accuracy": test["accuracy"], "test_error": 1 - test["accuracy"], "test_loss": test["loss"],
        "train_loss": trained["loss"], "train_accuracy": trained["accuracy"], "variant": variant, "seed": seed,
        "diverged": not all(math.isfinite(v) for v in (*losses, trained["loss"], test["loss"])),
        "epochs": epochs, "n_params": thetas[0].numel(),
    }
    meta = provenance(problem=spec, train=settings, variant=variant, seed=seed)
    return Trained(
        thetas[-1], spec, metrics, meta,
        f"test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f}, train loss {trained['loss']:.4f}",
        buffers={k: v.cpu() for k, v in module.named_buffers()},
        trajectory=(torch.stack(thetas), list(range(epochs + 1)), losses),
    )


def train_unet_crf(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """ONE epoch of the UNet-CRF from the previous epoch's state (input `previous`; none for epoch 1)."""
    from losstopo.data.pets import load_pets
    from losstopo.problems.unet_crf import evaluate_segmentation, make_unet_crf

    spec, rest = dict(problem_spec), dict(settings)
    n_train = rest.pop("n_train", None)
    lr, seed, epoch = float(run["lr"]), int(run["seed"]), int(run["epoch"])
    config = EpochConfig(**{**rest, "lr": lr})
    previous = list(inputs.get("previous", []))
    if (epoch == 1) == bool(previous):
        raise ValueError(f"epoch {epoch} needs {'no' if epoch == 1 else 'the previous epoch'} state as input "
                         f"`previous`, got {previous}; check the training rule's input function")
    state = load_state(previous[0]) if previous else None
    torch.manual_seed(seed)  # the same initial weights as the problem's init(seed)
    module = make_unet_crf(spec).to(_device())
    size = int(spec["image_size"])
    train_data = load_pets(spec["data"]["root"], "trainval", size, limit=n_train)
    state = train_epoch(module, state, train_data, F.cross_entropy, config, epoch, seed)
    test = evaluate_segmentation(module, *load_pets(spec["data"]["root"], "test", size), config.batch_size)
    diverged = not (math.isfinite(state.loss) and math.isfinite(test["loss"]))
    theta = ParamSpec.from_module(module).flatten(dict(module.named_parameters()))
    meta = provenance(problem=spec, train={**rest, "n_train": n_train}, lr=lr, seed=seed, epoch=epoch)
    metrics = {"test_iou": test["iou"], "test_dice": test["dice"],
               "test_pixel_accuracy": test["pixel_accuracy"], "test_loss": test["loss"],
               "test_error": 1 - test["pixel_accuracy"], "train_loss": state.loss,
               "train_pixel_accuracy": state.accuracy, "epoch": epoch, "lr": lr, "seed": seed,
               "diverged": diverged, "n_train": len(train_data[0])}
    return Trained(
        theta, spec, metrics, meta,
        f"epoch {epoch}: test IoU {test['iou']:.4f}, pixel accuracy {test['pixel_accuracy']:.4f}, "
        f"test loss {test['loss']:.4f}" + (" DIVERGED (kept, marked in metrics.json)" if diverged else ""),
        buffers=dict(module.named_buffers()), state=state,
    )


def weights_summary(result: BalancedResult) -> dict:
    """Per term: first, last, mean, min and max weight, and the weights in force at each checkpoint."""
    w = result.weight_history.double()
    at = [min(s, len(w) - 1) for s in result.steps]
    return {
        "terms": list(result.terms),
        **{name: {"first": float(w[0, i]), "last": float(w[-1, i]), "mean": float(w[:, i].mean()),
                  "min": float(w[:, i].min()), "max": float(w[:, i].max())}
           for i, name in enumerate(result.terms)},
        "at_checkpoints": w[at].tolist(),
    }


def _balanced(problem, strategy, settings: dict, seed: int) -> BalancedResult:
    return train_balanced(problem, problem.init(seed), strategy, steps=int(settings["steps"]),
                          lr=float(settings["lr"]), checkpoint_every=int(settings["checkpoint_every"]), seed=seed)


def _trained(result: BalancedResult, spec: dict, metrics: dict, meta: dict, summary: str) -> Trained:
    """A balanced run's `Trained`, its trajectory kept, its time in the summary."""
    return Trained(result.theta, spec, metrics, meta, f"{summary} in {result.seconds:.1f} s",
                   trajectory=(result.trajectory, result.steps, result.losses))


def train_balancing(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """The convection PINN under one loss-balancing method (paper N Sec. 4.2.4) or NTK weighting."""
    from losstopo.training.ntk import NTKWeights, pinn_point_residuals

    method, seed = run["method"], int(run["seed"])
    method_settings = dict(settings.get("methods", {}).get(method, {}))
    problem = make_problem(problem_spec)
    if method == "ntk":
        strategy = NTKWeights(pinn_point_residuals(problem), **method_settings)
    else:
        strategy = make_balancer(method, **method_settings)
    result = _balanced(problem, strategy, settings, seed)
    metrics = problem.evaluate(result.theta)
    metrics.update(method=method, seed=seed, diverged=result.diverged, steps=result.steps[-1],
                   weights=weights_summary(result))
    meta = provenance(problem=problem_spec, train=settings, method=method, seed=seed)
    return _trained(result, problem_spec, metrics, meta,
                    f"{method} seed {seed}: rel_l2_error={metrics['rel_l2_error']:.4g} "
                    f"loss={result.losses[-1]:.4g}{' DIVERGED' if result.diverged else ''}")


def train_cophy(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """CoPhy-PGNN (annealed and cold-started weights) or the black-box network on the Ising chain."""
    variant, seed = run["model"], int(run["seed"])
    spec = {**problem_spec, "variant": variant}
    problem = make_problem(spec)
    if variant == "cophy":
        strategy = CophySchedule(lambda_c=problem.config.lambda_c, **settings.get("schedule", {}))
    else:
        strategy = EqualWeights()
    result = _balanced(problem, strategy, settings, seed)
    metrics = problem.evaluate(result.theta)
    if variant == "cophy":
        metrics["lambda_c_final"], metrics["lambda_s_final"] = strategy.lambdas(int(settings["steps"]) - 1)
    metrics.update(model=variant, seed=seed, diverged=result.diverged, steps=result.steps[-1])
    meta = provenance(problem=spec, train=settings, seed=seed)
    return _trained(result, spec, metrics, meta,
                    f"{variant} seed {seed}: test_mse={metrics['test_mse']:.4g} c={metrics['c']:.4g} "
                    f"overlap={metrics['test_overlap']:.4f}")


def train_cifar_small(problem_spec: dict, settings: dict, run: Mapping[str, str], inputs: Inputs) -> Trained:
    """Paper N's CIFAR-10 CNN or MLP (Fig. 9) by epochs, the flat vector kept after each (0 = init)."""
    model, seed = run["model"], int(run["seed"])
    rest = dict(settings)
    epochs = int(rest.pop("epochs"))
    if epochs < 1:
        raise ValueError(f"cifar_small training needs epochs >= 1, got {epochs}")
    spec = {**problem_spec, "model": model}
    problem = make_problem(spec)
    theta0 = problem.init(seed)

    def train_loss(theta: torch.Tensor) -> float:
        with torch.no_grad():
            return float(problem.loss(theta.detach()))

    thetas, losses, _ = epoch_trajectory(
        problem.module(theta0), lambda m: problem.spec.flatten(dict(m.named_parameters())),
        problem.train_data, EpochConfig(**rest), epochs, seed, train_loss(theta0),
        lambda state, theta: train_loss(theta), progress=True, start=theta0.detach().clone())
    diverged = not bool(torch.isfinite(thetas[-1]).all()) or not math.isfinite(losses[-1])
    metrics = problem.evaluate(thetas[-1])
    metrics.update(model=model, seed=seed, epochs=epochs, diverged=diverged)
    meta = provenance(problem=spec, train=dict(settings), seed=seed)
    return Trained(
        thetas[-1], spec, metrics, meta,
        f"{model} seed {seed}: test={metrics['test']:.4g} test_accuracy={metrics['test_accuracy']:.3f}",
        trajectory=(torch.stack(thetas), list(range(epochs + 1)), losses),
    )


TRAINERS: dict[str, Trainer] = {
    "pinn": train_pinn,
    "resnet20": train_resnet20,
    "unet_crf": train_unet_crf,
    "balancing": train_balancing,
    "cophy": train_cophy,
    "cifar_small": train_cifar_small,
}
