"""A portal error answer that echoes the record it failed on (names, ID numbers, phones) reaches neither the
audit, nor the exception, nor the logs: they name the status, the request's window and page, and the
body's size and shape."""

from __future__ import annotations

import pytest
from api_helpers import FAST, PAGE, TOKEN, applicants, assert_exactly_once, pull
from leaks import LeakScan, personal_values

from cds_devkit.portal_server import FaultPlan, PortalDataset, PortalServer
from cds_warehouse.extract import PortalApiError, RetryPolicy


@pytest.fixture(scope="module")
def dataset() -> PortalDataset:
    return PortalDataset.generate(rows=400, seed=51)


def echoed(server: PortalServer, page: int) -> set[str]:
    """The personal values of the record the server echoes on `page` (its first row)."""
    row = server.dataset.rows()[(page - 1) * PAGE]
    assert row["applicant_name"] and row["applicant_id"] and row["applicant_phone"]
    return personal_values(
        [
            {
                "applicant_name": row["applicant_name"],
                "applicant_id_hash": row["applicant_id"],
                "applicant_phone_hash": row["applicant_phone"],
                "applicant_address": row["applicant_address"],
                "summary": row["summary"],
            }
        ]
    )


def test_a_500_echoing_a_record_leaves_no_clear_text_in_the_audit_the_error_or_the_logs(conn, dataset, caplog):
    faults = FaultPlan(pages={3: ("echo", 99)})
    with PortalServer(dataset, token=TOKEN, faults=faults) as server:
        scan = LeakScan(conn)
        with caplog.at_level("DEBUG"), pytest.raises(PortalApiError) as failure:
            pull(server, policy=RetryPolicy(**{**FAST.__dict__, "max_attempts": 2}))
        assert server.stats["fault_echo"] == 2
        message = conn.execute("select message from raw.load_audit where status = 'failed'").fetchone()[0]
        error = str(failure.value)
        # what is said instead: the status, the request and the page, the body's size and shape
        for text in (message, error):
            assert "HTTP 500 (body of " in text and "bytes, a JSON object with 2 field(s))" in text
            assert "page 3, after (" in text and "updated_to=" in text
        values = echoed(server, 3) | applicants(server)
        scan.assert_clean(conn, values, message, error, caplog.text)

        server.set_faults(FaultPlan())  # the portal heals: the next run resumes, nothing lost or twice
        assert pull(server).resumed
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, values, caplog.text)


def test_every_fault_kind_retried_in_a_pull_leaves_no_clear_text(conn, dataset, caplog):
    faults = FaultPlan(seed=3, rates={"echo": 0.2, "error": 0.1, "truncate": 0.1, "unavailable": 0.1})
    with PortalServer(dataset, token=TOKEN, faults=faults) as server:
        scan = LeakScan(conn)
        with caplog.at_level("DEBUG"):
            result = pull(server, policy=RetryPolicy(**{**FAST.__dict__, "max_attempts": 12}))
        assert server.stats["fault_echo"] > 0 and result.retries > 0
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server, sample=len(dataset)), caplog.text)
