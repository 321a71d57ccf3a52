"""Glue: one CSV row per PINN run, joining errors, Hessian summary and merge-tree metrics."""

import pandas as pd

from losstopo.artifacts import job_log, load_json
from losstopo.tables import run_row


def main(smk) -> None:
    kinds, n = smk.params.kinds, len(smk.params.runs)
    topology = [load_json(p) for p in smk.input.topology]
    rows = [
        run_row(load_json(m), load_json(h), {kind: topology[k * n + i] for k, kind in enumerate(kinds)})
        for i, (m, h) in enumerate(zip(smk.input.metrics, smk.input.hessian))
    ]
    table = pd.DataFrame(rows).sort_values(["lr", "beta", "seed"])
    table.to_csv(smk.output[0], index=False)
    print(table.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
