"""What a result needs to be reproduced: settings, seed, and the versions that computed it.

No timestamp: a rerun from scratch must give byte-identical result files; when a job ran is in its log.
"""

from __future__ import annotations

import platform
from importlib.metadata import version
from typing import Any

import numpy as np
import torch


def provenance(**settings: Any) -> dict[str, Any]:
    """The given settings plus package versions and the machine."""
    return {
        **settings,
        "versions": {
            "losstopo": version("losstopo"),
            "torch": str(torch.__version__),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "machine": platform.machine(),
    }
