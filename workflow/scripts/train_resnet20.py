"""Glue: train one ResNet-20 (variant residual | plain, seed) on CIFAR-10; write model, trajectory, metrics.

Params `problem` (the problem spec: width, data {root, source}, eval_batches, eval_batch_size, split) and
`train` (EpochConfig fields plus `epochs`, `n_train`, optional `n_test`: all test images if absent).
Wildcards `variant` and `seed`. Outputs `model` (flat vector, spec with `residual`, BatchNorm buffers),
`metrics` (json) and `trajectory` (the flat vector at initialisation and after each epoch, with the
training loss: in eval mode at initialisation, then each epoch's mean minibatch loss).
"""

import math
import time

import torch
import torch.nn.functional as F

from losstopo import artifacts
from losstopo.data.cifar import load_cifar10
from losstopo.problems.base import ParamSpec
from losstopo.problems.resnet import make_resnet20
from losstopo.provenance import provenance
from losstopo.training.epochs import EpochConfig, evaluate_module, train_epoch

VARIANTS = {"residual": True, "plain": False}


def flat(module: torch.nn.Module) -> torch.Tensor:
    """The module's parameters as one flat vector, in `ParamSpec.from_module` order."""
    return ParamSpec.from_module(module).flatten(dict(module.named_parameters())).cpu()


def main(smk) -> None:
    torch.set_num_threads(smk.threads)
    start = time.perf_counter()
    variant, seed = smk.wildcards.variant, int(smk.wildcards.seed)
    if variant not in VARIANTS:
        raise ValueError(f"wildcard variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    spec = {**smk.params.problem, "residual": VARIANTS[variant]}
    settings = dict(smk.params.train)
    epochs, n_train = int(settings.pop("epochs")), settings.pop("n_train")
    n_test = settings.pop("n_test", None)
    config = EpochConfig(**settings)
    root = spec["data"]["root"]
    train_set = load_cifar10(root, "train", limit=n_train)
    test_set = load_cifar10(root, "test", limit=n_test)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(seed)  # the same initialisation as the problem's init(seed)
    module = make_resnet20(spec).to(device)
    print(f"ResNet-20 {variant}, seed {seed}: {sum(p.numel() for p in module.parameters())} parameters, "
          f"{len(train_set[0])} training images ({spec['data']['source']}), {epochs} epochs on {device}")
    initial = evaluate_module(module, train_set, F.cross_entropy, config.batch_size)
    thetas, losses = [flat(module)], [initial["loss"]]
    state = None
    for epoch in range(1, epochs + 1):
        state = train_epoch(module, state, train_set, F.cross_entropy, config, epoch, seed)
        thetas.append(flat(module))
        losses.append(state.loss)
    train = evaluate_module(module, train_set, F.cross_entropy, config.batch_size)
    test = evaluate_module(module, test_set, F.cross_entropy, config.batch_size)
    metrics = {
        "test_accuracy": test["accuracy"], "test_error": 1 - test["accuracy"], "test_loss": test["loss"],
        "train_loss": train["loss"], "train_accuracy": train["accuracy"], "variant": variant, "seed": seed,
        "diverged": not all(math.isfinite(v) for v in (*losses, train["loss"], test["loss"])),
        "epochs": epochs, "n_params": thetas[0].numel(),
    }
    meta = provenance(problem=spec, train=smk.params.train, variant=variant, seed=seed)
    buffers = {k: v.cpu() for k, v in module.named_buffers()}
    artifacts.save_model(smk.output.model, thetas[-1], spec, meta, buffers=buffers)
    artifacts.save_trajectory(smk.output.trajectory, torch.stack(thetas), list(range(epochs + 1)), losses)
    artifacts.save_json(smk.output.metrics, {**metrics, "provenance": meta})
    print(f"test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f}, "
          f"train loss {train['loss']:.4f} in {time.perf_counter() - start:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
