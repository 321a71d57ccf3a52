"""What a result needs to be reproduced: settings, seed, and the versions that computed it."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib.metadata import version
from typing import Any

import numpy as np
import torch


def provenance(**settings: Any) -> dict[str, Any]:
    """The given settings plus package versions, the machine and a UTC timestamp."""
    return {
        **settings,
        "versions": {
            "losstopo": version("losstopo"),
            "torch": str(torch.__version__),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "machine": platform.machine(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
