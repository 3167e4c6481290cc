"""Landing folders: where a source's files wait, and where they go once the warehouse has dealt with them.

Every file source has the same life cycle, under $CDS_LANDING_DIR/<source>/:

    <source>/            files waiting to be loaded
    <source>/archive/    loaded ones, as <load_id>_<file name> (a later delivery may reuse the name)
    <source>/failed/     refused ones, each with <file name>.reason.txt saying why

Only regular files are taken. A symbolic link (or a pipe, a device) is refused, moved to failed/ as it is,
never followed: a link can point anywhere the loader can read, and what it points at would be loaded
without ever leaving the folder's life cycle. File names are shown escaped wherever they are logged,
stored or reported (``shown_name``): a name can hold a newline or a control character that would split a
log line or forge another.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from pathlib import Path

from cds_warehouse.settings import STATE_DIR

log = logging.getLogger(__name__)


def landing_dir(source: str) -> Path:
    """Folder where a source's files are dropped: $CDS_LANDING_DIR/<source>/."""
    root = Path(os.environ.get("CDS_LANDING_DIR", STATE_DIR / "landing"))
    return root / source


def shown_name(name: str) -> str:
    """A file name as logs and messages may show it: characters that are not printable (newlines, control
    characters, unusual spaces) and backslashes written as Python escapes, so a name stays on one line and
    reads back unambiguously. Vietnamese letters are printable and shown as they are."""
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode("ascii") for c in name)


def waiting_files(source: str, suffixes: tuple[str, ...]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The source's waiting files with one of ``suffixes`` (case-insensitive), in name order, and those
    refused at sight, with why. Folders (archive/, failed/), dot files (editors' and sync tools') and
    "~$name.xlsx" (Excel's lock file of an open workbook) are not deliveries and are left alone."""
    folder = landing_dir(source)
    if not folder.is_dir():
        return [], []
    files, refused = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("~$", ".")) or not path.name.lower().endswith(suffixes):
            continue
        mode = path.lstat().st_mode  # lstat: the entry itself, never what a link points at
        if stat.S_ISDIR(mode):
            continue
        if stat.S_ISLNK(mode):
            refused.append((path, "a symbolic link; links are not followed: copy the file itself into the folder"))
        elif not stat.S_ISREG(mode):
            refused.append((path, "not a regular file (a pipe, a socket or a device); copy the file into the folder"))
        else:
            files.append(path)
    return files, refused


def move_to_archive(path: Path, load_id: int) -> Path:
    """A loaded file into archive/, named after its batch. The same content archived before (a file
    delivered twice is one batch) is kept once."""
    target = path.parent / "archive" / f"{load_id}_{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        path.unlink()
    else:
        os.replace(path, target)
    log.info("%s moved to %s", shown_name(path.name), shown_name(str(target.relative_to(path.parent))))
    return target


def move_to_failed(path: Path, reason: str, landing: Path | None = None) -> Path:
    """A refused file into failed/ of ``landing`` (default: the file's folder), with <name>.reason.txt
    beside it. A link moves as the link."""
    landing = landing or path.parent
    target = _free_name(landing / "failed", path.name)
    os.replace(path, target)  # a rename: a symbolic link moves as the link, its target untouched
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = f"{shown_name(path.name)} ({stamp})\n\n{reason}\n\nFix the file and drop it into {landing} again.\n"
    target.with_name(target.name + ".reason.txt").write_text(text, encoding="utf-8")
    log.info("%s moved to %s", shown_name(path.name), shown_name(str(target.relative_to(landing))))
    return target


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or name.1, name.2 ... when a file (or its reason file) has it already."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    n = 1
    while os.path.lexists(target) or os.path.lexists(target.with_name(target.name + ".reason.txt")):
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target
