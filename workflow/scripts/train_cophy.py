"""Glue: train CoPhy-PGNN or the black-box network on the Ising chain (paper N Sec. 4.1, Elhamod et al. 2022).

Wildcards `model` (cophy | blackbox, written into the saved problem spec as its `variant`) and `seed`
(the shared initialisation). Params `problem` (the ising spec) and `train`: steps, lr, checkpoint_every
and, for cophy, `schedule` (lambda_s0, anneal_steps, cold_start, cold_width; lambda_C ramps to the
problem's lambda_c). Outputs `model`, `trajectory` and `metrics` (final terms, held-out errors,
the lambdas at the end, provenance).
"""

import torch

from losstopo import artifacts
from losstopo.problems.ising import CophySchedule
from losstopo.problems.registry import make_problem
from losstopo.provenance import provenance
from losstopo.training.balancing import EqualWeights, train_balanced


def main(smk) -> None:
    torch.set_num_threads(max(1, int(smk.threads)))
    variant, seed = smk.wildcards.model, int(smk.wildcards.seed)
    train = dict(smk.params.train)
    spec = {**smk.params.problem, "variant": variant}
    problem = make_problem(spec)
    if variant == "cophy":
        strategy = CophySchedule(lambda_c=problem.config.lambda_c, **train.get("schedule", {}))
    else:
        strategy = EqualWeights()
    steps = int(train["steps"])
    result = train_balanced(problem, problem.init(seed), strategy, steps=steps, lr=float(train["lr"]),
                            checkpoint_every=int(train["checkpoint_every"]), seed=seed)
    metrics = problem.evaluate(result.theta)
    if variant == "cophy":
        metrics["lambda_c_final"], metrics["lambda_s_final"] = strategy.lambdas(steps - 1)
    metrics.update(model=variant, seed=seed, diverged=result.diverged, steps=result.steps[-1])
    meta = provenance(problem=spec, train=train, seed=seed)
    artifacts.save_model(smk.output.model, result.theta, spec, meta)
    artifacts.save_trajectory(smk.output.trajectory, result.trajectory, result.steps, result.losses)
    artifacts.save_json(smk.output.metrics, {**metrics, "provenance": meta})
    print(f"{variant} seed {seed}: test_mse={metrics['test_mse']:.4g} c={metrics['c']:.4g} "
          f"overlap={metrics['test_overlap']:.4f} in {result.seconds:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
