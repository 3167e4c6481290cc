"""A benchmark stage's peak RSS is its own, not the bench's: Linux passes a parent's peak on to the
children it starts, so a bench grown large would otherwise set a floor under every stage's figure."""

from __future__ import annotations

import sys

from cds_devkit.bench.stages import run_stage

HOLD_MB = 60  # the stage's own peak: about this much over a bare interpreter


def test_a_stage_reports_its_own_peak_rss_whatever_the_bench_holds(capsys):
    held = bytearray(300 << 20)  # the bench itself at 300 MB, pages touched
    for i in range(0, len(held), 4096):
        held[i] = 1
    code = f"data = bytearray({HOLD_MB} << 20)\nfor i in range(0, len(data), 4096): data[i] = 1\nprint('held')"

    stage = run_stage("holder", [sys.executable, "-c", code])

    assert HOLD_MB < stage["peak_rss_mb"] < HOLD_MB + 40
    shown = capsys.readouterr().out
    assert "  holder | held" in shown and f"holder: {stage['seconds']:,.1f} s, peak RSS" in shown
    assert "cds-bench-stage-peak-rss-kb" not in shown
    del held
