"""Image data sets read through torchvision's own classes, and synthetic copies in their on-disk layouts.

Every loader raises `DatasetMissing` when its data are absent, naming the folder, the layout to place by
hand and the download alternative, so an offline machine stops with a fix, before any job runs.
"""

from __future__ import annotations


class DatasetMissing(FileNotFoundError):
    """A data set is not where the configuration says; the message names the folder, layout and fixes."""
