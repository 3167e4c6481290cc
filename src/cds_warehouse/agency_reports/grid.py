"""A sheet's cells as the parser reads them: values and number formats, merged ranges resolved from the
sheet's XML (openpyxl does not give them in read-only mode), and the workbook's last-saved time."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from cds_warehouse.agency_reports.text import clean

log = logging.getLogger(__name__)
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class Grid:
    """A sheet's cells (value, number format) by row and column, with merged ranges resolved."""

    def __init__(self, cells: dict[tuple[int, int], tuple[object, str | None]], merges: list[tuple[int, ...]]):
        self.cells = cells
        self.max_row = max((r for r, _ in cells), default=0)
        self.max_col = max((c for _, c in cells), default=0)
        self.merged_from: dict[tuple[int, int], tuple[int, int] | None] = {}
        for r1, c1, r2, c2 in merges:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    # The first column of the range holds its value in every row; the others are empty.
                    self.merged_from[(r, c)] = (r1, c1) if c == c1 else None
            self.max_row = max(self.max_row, r2)

    def get(self, row: int, col: int) -> tuple[object, str | None]:
        if (row, col) in self.merged_from:
            source = self.merged_from[(row, col)]
            return self.cells.get(source, (None, None)) if source else (None, None)
        return self.cells.get((row, col), (None, None))

    def value(self, row: int, col: int) -> object:
        return self.get(row, col)[0]

    def text(self, row: int, col: int) -> str | None:
        value = self.value(row, col)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean(value)

    def row_texts(self, row: int) -> list[tuple[int, str]]:
        return [(c, t) for c in range(1, self.max_col + 1) if (t := self.text(row, c)) is not None]


def read_grid(ws) -> Grid:
    ws.reset_dimensions()  # the stored dimension is often wrong in files written by other programs
    cells: dict[tuple[int, int], tuple[object, str | None]] = {}
    for r, row in enumerate(ws.iter_rows(), start=1):
        for c, cell in enumerate(row, start=1):
            value = cell.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            cells[(r, c)] = (value, getattr(cell, "number_format", None))
    return Grid(cells, _merged_ranges(ws))


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of the sheet's merged ranges, streamed from its XML."""
    from openpyxl.utils.cell import range_boundaries

    ranges = []
    try:
        with ws._get_source() as source:  # read-only worksheets do not expose merged cells
            for _, element in ElementTree.iterparse(source, events=("end",)):
                if element.tag == f"{SHEET_NS}mergeCell":
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    ranges.append((min_row, min_col, max_row, max_col))
                elif element.tag == f"{SHEET_NS}row":
                    element.clear()
    except (AttributeError, ElementTree.ParseError, KeyError, ValueError) as exc:
        log.warning("sheet %r: merged cells not read (%s); reading it without them", ws.title, exc)
    return ranges


def saved_at(path: Path) -> dt.datetime | None:
    """dcterms:modified of docProps/core.xml: set by Excel when the workbook is saved (UTC)."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    node = core.find("{http://purl.org/dc/terms/}modified")
    if node is None or not (node.text or "").strip():
        return None
    try:
        stamp = dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
