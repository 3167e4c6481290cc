"""Land a source file in the raw schema: streamed, typed, personal data removed, one audited batch.

The file is parsed in blocks with pyarrow (vectorised; memory flat in the file's size), each block
is cleaned column by column and streamed to PostgreSQL with COPY. Rows that fail a column's rule
go to the rejects table with their row number, column and reason; the rest load. Everything runs
in one transaction, so a crash leaves no partial batch, and a file whose content was loaded
before (same sha256) is recognised and skipped.

The rooms: ``file`` (a file as one batch: header, transaction, cut-short files, repeated records),
``stream`` (the CSV cut into pieces on record boundaries, parsed and cleaned in order on worker threads),
``cleaning`` (typing and the column rules, vectorised; rejects), ``personal_data`` (keyed hashes, values
shown by their shape), ``copying`` (the COPY pass and the rejects). The batch's audit row is
cds_warehouse.batches'.
"""

from cds_warehouse.load.errors import EmptyFile, LoadError
from cds_warehouse.load.file import LoadResult, load_file

__all__ = ["EmptyFile", "LoadError", "LoadResult", "load_file"]
