"""Glue: one CSV row per model of an experiment, joining its metrics, Hessian summary and topology."""

import pandas as pd

from losstopo.artifacts import job_log, load_json
from losstopo.tables import run_row


def main(smk) -> None:
    runs, kinds = smk.params.runs, smk.params.kinds
    topology = [load_json(p) for p in smk.input.topology]
    rows = [
        run_row(run, load_json(m), load_json(h),
                {kind: topology[k * len(runs) + i] for k, kind in enumerate(kinds)})
        for i, (run, m, h) in enumerate(zip(runs, smk.input.metrics, smk.input.hessian))
    ]
    table = pd.DataFrame(rows).sort_values(list(runs[0]))
    table.to_csv(smk.output[0], index=False)
    print(table.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
