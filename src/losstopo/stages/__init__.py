"""The per-model stages (hessian, landscape, topology) shared by the workflow scripts, the CLI and `analyze`."""
