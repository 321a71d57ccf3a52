"""Glue: top-k Hessian eigenpairs, trace and spectral density of one trained model."""

import sys

import torch

from losstopo import artifacts
from losstopo.stages.hessian import compute_hessian


def main(smk) -> None:
    torch.set_num_threads(smk.threads)
    s = smk.params.hessian  # validated and completed by the config schema
    problem, theta, problem_spec = artifacts.load_problem(smk.input.model, s["dtype"])
    print(f"{smk.input.model}: {problem.spec.size} parameters, dtype {s['dtype']}")
    report = compute_hessian(problem, theta, s, problem_spec, progress=sys.stderr)
    summary = report.summary
    if summary["status"] != "ok":
        print(f"weights not finite (training diverged): no curvature, status {summary['status']!r} recorded")
    else:
        print(f"top-{s['top_k']} eigenvalues {summary['eigenvalues']} "
              f"(converged: {summary['eigen_converged']}); trace {summary['trace']:.6g} "
              f"+- {summary['trace_stderr']:.3g} from {summary['trace_samples']} probes; "
              f"Hutch++ trace {summary['trace_hutchpp']:.6g} +- {summary['trace_hutchpp_stderr']:.3g} from "
              f"{summary['n_hvp']['hutchpp']} HVPs; "
              f"spectral density width {summary['esd_width']:.3g}; {summary['n_hvp']['total']} HVPs; seconds "
              + ", ".join(f"{part} {t:.1f}" for part, t in report.seconds.items()))
    report.save(smk.output.json, smk.output.eigvecs, smk.output.esd)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
