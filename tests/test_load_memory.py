"""What keeps a load's memory small: no pandas in the loading process (pyarrow imports it to convert any
Python value), and the values built from buffers instead equal pyarrow's own conversions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from conftest import dossier, write_export

from cds_warehouse.load import arrow_values as av


def test_a_load_with_rejects_and_repeats_imports_no_pandas(conn, tmp_path):
    rows = [dossier(dossier_code=f"M{i}") for i in range(50)]
    rows += [dossier(dossier_code="M1"), dossier(dossier_code="M60", channel="9", fee_vnd="3.000")]
    rows += [dossier(dossier_code="M61", received_at="31/02/2024 08:00:00", supplement_days="-1")]
    export = write_export(tmp_path / "export.csv", rows)
    script = (
        "import sys\n"
        "from cds_warehouse.load import load_file\n"
        f"result = load_file({str(export)!r})\n"
        "print(result.rows_loaded, result.rows_rejected, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["50", "3", "False"]


@pytest.mark.parametrize(
    ("built", "converted"),
    [
        (av.int64s(np.array([3, -1, 0])), pa.array([3, -1, 0], pa.int64())),
        (av.float64s(np.array([2.5, 0.0])), pa.array([2.5, 0.0], pa.float64())),
        (av.booleans(np.array([True, False] * 9)), pa.array([True, False] * 9)),
        (av.strings(["Hài lòng", None, ""]), pa.array(["Hài lòng", None, ""], pa.string())),
        (av.strings([]), pa.array([], pa.string())),
        (av.values_of(("1", "2"), pa.int64()), pa.array([1, 2], pa.int64())),
        (av.values_of(("Xã", "Tỉnh"), pa.string()), pa.array(["Xã", "Tỉnh"], pa.string())),
    ],
)
def test_arrays_built_from_buffers_equal_pyarrows_conversions(built, converted):
    assert built.equals(converted)


def test_scalars_and_masks_built_from_buffers_equal_pyarrows_conversions():
    when = dt.datetime(2026, 1, 1, 0, 0)
    assert av.timestamp(when, pa.timestamp("s")) == pa.scalar(when, pa.timestamp("s"))
    assert av.number(1000, pa.int64()) == pa.scalar(1000, pa.int64())
    assert av.number(0.5, pa.float64()) == pa.scalar(0.5, pa.float64())
    assert av.seconds(86399) == pa.scalar(86399, pa.duration("s"))
    assert pa.scalar(False) == av.FALSE and pa.scalar("") == av.EMPTY_STRING
    assert not av.NULL_STRING.is_valid and av.NULL_STRING.type == pa.string()
    values = pa.array([True, False, True, True, False, False, True, False, True, True])[3:]
    assert av.mask(values).tolist() == values.to_pylist()
    with pytest.raises(ValueError, match="no nulls"):
        av.mask(pa.array([True, None]))
