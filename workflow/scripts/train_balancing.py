"""Glue: train the convection PINN with one loss-balancing method (paper N Sec. 4.2.4) or NTK weighting.

Wildcards `method` (ew | cw | dwa | lra | gradnorm | rlw | ntk | const) and `seed` (initialisation and the
method's random draws: every method of one seed starts from the same vector). Params `problem` (the
convection spec, beta 10 in paper N) and `train`: steps, lr, checkpoint_every, and optional `methods`,
{method: {setting: value}} passed to the strategy (e.g. gradnorm: {alpha: 1.5}, ntk: {every: 50}).
Outputs `model`, `trajectory` and `metrics` (final terms and errors, the weights' summary and their value
at every checkpoint, provenance).
"""

import torch

from losstopo import artifacts
from losstopo.problems.registry import make_problem
from losstopo.provenance import provenance
from losstopo.training.balancing import BalancedResult, make_balancer, train_balanced
from losstopo.training.ntk import NTKWeights, pinn_point_residuals


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


def main(smk) -> None:
    torch.set_num_threads(max(1, int(smk.threads)))
    method, seed = smk.wildcards.method, int(smk.wildcards.seed)
    train = dict(smk.params.train)
    settings = dict(train.get("methods", {}).get(method, {}))
    problem = make_problem(smk.params.problem)
    if method == "ntk":
        strategy = NTKWeights(pinn_point_residuals(problem), **settings)
    else:
        strategy = make_balancer(method, **settings)
    result = train_balanced(problem, problem.init(seed), strategy, steps=int(train["steps"]),
                            lr=float(train["lr"]), checkpoint_every=int(train["checkpoint_every"]), seed=seed)
    metrics = problem.evaluate(result.theta)
    metrics.update(method=method, seed=seed, diverged=result.diverged, steps=result.steps[-1],
                   weights=weights_summary(result))
    meta = provenance(problem=smk.params.problem, train=train, method=method, seed=seed)
    artifacts.save_model(smk.output.model, result.theta, smk.params.problem, meta)
    artifacts.save_trajectory(smk.output.trajectory, result.trajectory, result.steps, result.losses)
    artifacts.save_json(smk.output.metrics, {**metrics, "provenance": meta})
    print(f"{method} seed {seed}: rel_l2_error={metrics['rel_l2_error']:.4g} loss={result.losses[-1]:.4g} "
          f"in {result.seconds:.1f} s{' DIVERGED' if result.diverged else ''}")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
