"""The per-model stages (hessian, landscape, topology) that the workflow scripts, the CLI and `analyze` share."""
