"""Glue: one CSV row per model of an experiment, joining its metrics, Hessian summary and topology.

Params `runs`: run id -> the run's sweep values and `files` (metrics, hessian, and topology_<kind>: the
2-D topology of each landscape kind).
"""

import pandas as pd

from losstopo.artifacts import job_log, load_json
from losstopo.tables import run_row


def main(smk) -> None:
    rows = []
    for record in smk.params.runs.values():
        files = dict(record["files"])
        values = {k: v for k, v in record.items() if k != "files"}
        metrics, hessian = load_json(files.pop("metrics")), load_json(files.pop("hessian"))
        topologies = {key.removeprefix("topology_"): load_json(path) for key, path in files.items()}
        rows.append(run_row(values, metrics, hessian, topologies))
    first = next(iter(smk.params.runs.values()))
    table = pd.DataFrame(rows).sort_values([k for k in first if k != "files"])
    table.to_csv(smk.output[0], index=False)
    print(table.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
