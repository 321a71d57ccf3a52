"""Glue: train paper N's CIFAR-10 CNN or MLP (Fig. 9), keeping the flat vector after every epoch.

Wildcards `model` (cnn | mlp, written into the saved problem spec) and `seed`. Params `problem` (the
cifar_small spec: data root, subset sizes; the root holds real CIFAR-10 or the synthetic stand-in) and
`train`: epochs and the `losstopo.training.epochs.EpochConfig` fields (optimizer, lr, batch_size,
augment, ...). Outputs `model`, `trajectory` (one vector per epoch, 0 = init) and `metrics`.
"""

import torch

from losstopo import artifacts
from losstopo.problems.cifar_small import train_trajectory
from losstopo.problems.registry import make_problem
from losstopo.provenance import provenance
from losstopo.training.epochs import EpochConfig


def main(smk) -> None:
    torch.set_num_threads(max(1, int(smk.threads)))
    model, seed = smk.wildcards.model, int(smk.wildcards.seed)
    train = dict(smk.params.train)
    epochs = int(train.pop("epochs"))
    spec = {**smk.params.problem, "model": model}
    problem = make_problem(spec)
    result = train_trajectory(problem, problem.init(seed), EpochConfig(**train), epochs, seed)
    metrics = problem.evaluate(result.theta)
    metrics.update(model=model, seed=seed, epochs=epochs, diverged=result.diverged)
    meta = provenance(problem=spec, train=dict(smk.params.train), seed=seed)
    artifacts.save_model(smk.output.model, result.theta, spec, meta)
    artifacts.save_trajectory(smk.output.trajectory, result.trajectory, result.steps, result.losses)
    artifacts.save_json(smk.output.metrics, {**metrics, "provenance": meta})
    print(f"{model} seed {seed}: test={metrics['test']:.4g} test_accuracy={metrics['test_accuracy']:.3f} "
          f"in {result.seconds:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
