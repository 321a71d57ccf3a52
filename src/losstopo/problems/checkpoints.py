"""A user model entry's checkpoint files and its errors, without torch: the workflow lists an entry's runs
at parse time from these alone.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path


class UserModelError(ValueError):
    """A user model entry that cannot be used; the message names the entry and the fix."""


def entry_error(entry: str, message: str) -> UserModelError:
    """An error naming the entry (`models.<entry>: ...`)."""
    return UserModelError(f"models.{entry}: {message}")


def checkpoint_files(entry: str, checkpoints: str | list[str]) -> list[str]:
    """The checkpoint files of an entry: paths or globs, each expanded in sorted order."""
    patterns = [checkpoints] if isinstance(checkpoints, str) else list(checkpoints or [])
    if not patterns:
        raise entry_error(entry, "no `checkpoints`; give a file, a glob (e.g. ckpt/epoch*.pt) or a list of them")
    files = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        missing = [m for m in matches if not Path(m).is_file()]
        if not matches or missing:
            raise entry_error(
                entry,
                f"checkpoint file {(missing[0] if missing else pattern)!r} does not exist "
                f"(relative to {os.getcwd()}); train the model or fix `checkpoints`",
            )
        files += matches
    stems = [Path(f).stem for f in files]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise entry_error(
            entry,
            f"checkpoints share the file names {clashes}; each run folder is named after its "
            f"checkpoint's stem, so give them distinct names",
        )
    return files
