"""losstopo: loss landscapes, Hessian curvature and merge-tree topology of trained models.

`losstopo.analyze(model, batches, loss=...)` runs every engine on a model of your own (see
`losstopo.api`); it is imported on first use, so `import losstopo` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["analyze"]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from losstopo.api import analyze

        return analyze
    raise AttributeError(f"module 'losstopo' has no attribute {name!r}")
