"""A published folder is replaced whole: readers never meet half of it, nor a file an older run left."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cds_warehouse.settings import STATE_DIR


def publish_root() -> Path:
    """Where the published folders go: $CDS_PUBLISH_DIR, else .state/publish (open-data/ and site/ in it)."""
    return Path(os.environ.get("CDS_PUBLISH_DIR", STATE_DIR / "publish"))


@contextlib.contextmanager
def replaced_whole(folder: Path) -> Iterator[Path]:
    """A new folder beside `folder` to write into; when the block ends without an error it takes `folder`'s
    place (two renames: the old one stays whole until the new one is complete), else it is removed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        yield staging
        old = folder.with_name(f".{folder.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
