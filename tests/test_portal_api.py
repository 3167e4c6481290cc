"""The portal API client against the local portal server: every fault separately, a mix, the retry budget.

These tests pull pages into memory (no database); tests/test_ingest_api.py covers the warehouse side.
Backoff sleeps are recorded instead of slept, except where a test is about time (timeouts).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cds_devkit.portal_server import FAULT_KINDS, FaultPlan, PortalDataset, PortalServer
from cds_warehouse.extract.contract import format_ts
from cds_warehouse.extract.http import PortalApiError, RetryPolicy, _retry_after
from cds_warehouse.extract.portal_api import PortalApi, PortalConfig, page_to_batch, portal_config
from cds_warehouse.sources import load_source

TOKEN = "test-token-4f1c"
FAST = RetryPolicy(
    max_attempts=6, backoff_base=0.01, backoff_max=0.05, connect_timeout=0.5, read_timeout=0.25, answer_timeout=0.5
)
# Faults that are only the contract's latitude (or disorder the client sorts out): pulled without a retry.
HARMLESS = {"shuffle", "sparse", "zoned"}
PAGE = 100
FAR_FUTURE = datetime(2030, 1, 1)


@pytest.fixture(scope="module")
def dataset() -> PortalDataset:
    return PortalDataset.generate(rows=800, seed=11)


@pytest.fixture
def server(dataset):
    with PortalServer(dataset, token=TOKEN) as s:
        yield s


class Sleeps(list):
    """Stands in for time.sleep: records the waits the client asks for."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def pull(server: PortalServer, policy: RetryPolicy = FAST, token: str = TOKEN, **kw) -> tuple[list[dict], PortalApi]:
    sleeps = kw.pop("sleep", Sleeps())
    api = PortalApi(PortalConfig(server.url, token), policy, page_size=PAGE, sleep=sleeps, **kw)
    try:
        items = [item for page in api.pages(None, FAR_FUTURE, None) for item in page.items]
    finally:
        api.close()
    return items, api


def keys(items) -> list[tuple[str, str]]:
    return [(i["updated_at"][:19], i["dossier_code"]) for i in items]  # "+07:00" is the same local time


def test_a_clean_pull_returns_every_version_once_in_key_order(server, dataset):
    items, api = pull(server)
    expected = [(u, c) for _, c, u in dataset.version_keys()]
    assert keys(items) == expected and len(set(expected)) == len(expected)
    assert api.http.retries == 0 and server.stats["pages"] == -(-len(dataset) // PAGE)
    # several versions of some dossiers, the earlier ones open, the last one finished
    by_code: dict[str, list[str]] = {}
    for item in items:
        by_code.setdefault(item["dossier_code"], []).append(item["status"])
    histories = [s for s in by_code.values() if len(s) >= 3]
    assert len(histories) > 20
    assert any(s[0] == "Đã tiếp nhận" and s[1] == "Đang xử lý" and s[-1] == "Đã trả kết quả" for s in histories)


@pytest.mark.faults  # part of the fault suite (tests/faults/)
@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_alone_is_survived_without_loss_or_duplicate(dataset, kind):
    faults = FaultPlan(pages={2: kind, 5: kind, 8: (kind, 2)}, retry_after="0", delay=0.6)
    with PortalServer(dataset, token=TOKEN, faults=faults) as server:
        items, api = pull(server)
    assert keys(items) == [(u, c) for _, c, u in dataset.version_keys()]
    # a shuffled page is complete, only out of order: the client sorts it and does not ask again; sparse
    # rows and zoned timestamps are what the contract allows
    assert server.stats[f"fault_{kind}"] == (3 if kind in HARMLESS else 4)
    assert api.http.retries == (0 if kind in HARMLESS else 4)


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_a_mix_of_faults_at_random(dataset):
    rates = dict.fromkeys(FAULT_KINDS, 0.04)
    with PortalServer(dataset, token=TOKEN, faults=FaultPlan(seed=3, rates=rates, delay=0.6)) as server:
        items, api = pull(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 10}))
    assert keys(items) == [(u, c) for _, c, u in dataset.version_keys()]
    injected = {k for k in FAULT_KINDS if server.stats[f"fault_{k}"]}
    assert len(injected) >= 5, server.stats
    assert api.http.retries >= 5


def test_the_same_seed_meets_the_same_faults(dataset):
    plan = FaultPlan(seed=9, rates={"error": 0.2, "skip": 0.1, "repeat": 0.1})
    runs = []
    for _ in range(2):
        with PortalServer(dataset, token=TOKEN, faults=plan) as server:
            pull(server)
            runs.append(dict(server.stats))
    assert runs[0] == runs[1] and runs[0]["fault_error"] > 0


def test_429_waits_at_least_retry_after_and_backoff_grows_with_jitter(dataset):
    policy = RetryPolicy(max_attempts=8, backoff_base=0.1, backoff_max=10)
    sleeps = Sleeps()
    faults = FaultPlan(pages={1: ("throttle", 1), 2: ("error", 4)}, retry_after="3")
    with PortalServer(dataset, token=TOKEN, faults=faults) as server:
        items, _ = pull(server, policy, sleep=sleeps)
    assert len(items) == len(dataset)
    assert sleeps[0] >= 3  # Retry-After honoured
    for attempt, waited in enumerate(sleeps[1:], start=1):  # 500s: [d/2, d], d = 0.1 * 2**(n-1)
        ceiling = 0.1 * 2 ** (attempt - 1)
        assert ceiling / 2 <= waited <= ceiling
    assert len(set(sleeps[1:])) == 4


def test_retry_after_as_seconds_or_http_date():
    assert _retry_after("7") == 7 and _retry_after("0") == 0 and _retry_after(None) is None
    in_a_minute = datetime.now().astimezone() + timedelta(seconds=60)
    assert 50 < _retry_after(in_a_minute.strftime("%a, %d %b %Y %H:%M:%S %z")) <= 61
    assert _retry_after("soon") is None


def test_a_retry_after_beyond_the_allowed_wait_fails_at_once(dataset):
    faults = FaultPlan(pages={1: ("throttle", 9)}, retry_after="3600")
    with PortalServer(dataset, token=TOKEN, faults=faults) as server, pytest.raises(PortalApiError) as err:
        pull(server, RetryPolicy(**{**FAST.__dict__, "max_retry_after": 60}))
    assert err.value.attempts == 1 and "Retry-After 3600 s exceeds" in str(err.value)


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_retry_budget_exhausted_is_a_clear_error(dataset):
    sleeps = Sleeps()
    faults = FaultPlan(pages={3: ("error", 99)})
    with PortalServer(dataset, token=TOKEN, faults=faults) as server, pytest.raises(PortalApiError) as err:
        pull(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 4}), sleep=sleeps)
    message = str(err.value)
    assert message.startswith(f"GET {server.url}/dossiers?updated_to=2030-01-01T00%3A00%3A00&limit={PAGE}")
    assert "page 3, after (" in message
    assert "failed after 4 attempts (retry budget exhausted); last error: HTTP 500" in message
    assert TOKEN not in message and len(sleeps) == 3


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_an_inconsistent_page_that_never_heals_names_the_inconsistency(dataset):
    expected = r"inconsistent answer: the server counts 200 versions .* holds 100"
    with (
        PortalServer(dataset, token=TOKEN, faults=FaultPlan(pages={2: ("skip", 99)})) as server,
        pytest.raises(PortalApiError, match=expected),
    ):
        pull(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 3}))


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_timeouts_are_retried_and_then_fail_clearly(dataset):
    faults = FaultPlan(pages={1: ("timeout", 99)}, delay=0.5)
    with (
        PortalServer(dataset, token=TOKEN, faults=faults) as server,
        pytest.raises(PortalApiError, match=r"after 2 attempts .* ReadTimeout"),
    ):
        pull(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 2, "read_timeout": 0.2}))


def test_connection_refused_is_retried_then_fails(dataset):
    server = PortalServer(dataset, token=TOKEN).start()
    url = server.url
    server.stop()
    api = PortalApi(PortalConfig(url, TOKEN), RetryPolicy(**{**FAST.__dict__, "max_attempts": 3}), sleep=Sleeps())
    with pytest.raises(PortalApiError, match=r"status.*after 3 attempts .*ConnectionError"):
        api.status()


def test_a_wrong_token_is_not_retried_and_not_shown(server):
    sleeps = Sleeps()
    with pytest.raises(PortalApiError) as err:
        pull(server, token="wrong-token", sleep=sleeps)
    assert "HTTP 401" in str(err.value) and "not retryable" in str(err.value)
    assert err.value.attempts == 1 and not sleeps and "wrong-token" not in str(err.value)


def test_bad_parameters_are_a_400(server):
    import requests

    answer = requests.get(f"{server.url}/dossiers?limit=5000", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400 and "limit" in answer.json()["error"]
    answer = requests.get(f"{server.url}/dossiers?after_code=x", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400
    assert requests.get(f"{server.url}/status").status_code == 401


def test_the_window_bounds_are_respected(server, dataset):
    stamps = sorted(u for _, _, u in dataset.version_keys())
    start, end = datetime.fromisoformat(stamps[100]), datetime.fromisoformat(stamps[400])
    api = PortalApi(PortalConfig(server.url, TOKEN), FAST, page_size=PAGE, prefetch=False)
    items = [i for p in api.pages(start, end, None) for i in p.items]
    assert all(format_ts(start) <= i["updated_at"] < format_ts(end) for i in items)
    assert len(items) == sum(format_ts(start) <= s < format_ts(end) for s in stamps)


def test_a_page_becomes_the_loaders_strings_by_field_name(server):
    api = PortalApi(PortalConfig(server.url, TOKEN), FAST, page_size=5, prefetch=False)
    page = api.page(None, FAR_FUTURE, None, 1)
    batch = page_to_batch(page.items, load_source("portal_dossiers"))
    row = batch.to_pylist()[0]
    item = page.items[0]
    assert row["dossier_code"] == item["dossier_code"]
    as_text = [None if item[k] is None else str(item[k]) for k in ("channel", "fee_vnd", "finished_at")]
    assert [row["channel"], row["fee_vnd"], row["finished_at"] and item["finished_at"]] == as_text
    iso = item["received_at"]
    assert row["received_at"] == f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]} {iso[11:]}"
    assert row["applicant_id_hash"] == item["applicant_id"]  # still clear here; clean_batch hashes it
    assert "applicant_name" not in row and "summary" not in row  # dropped personal data is not even read


def test_portal_config_from_env_or_airflow_connection(monkeypatch):
    for key in ("CDS_PORTAL_URL", "CDS_PORTAL_TOKEN", "AIRFLOW_CONN_CDS_PORTAL"):
        monkeypatch.delenv(key, raising=False)
    assert portal_config() is None
    monkeypatch.setenv("AIRFLOW_CONN_CDS_PORTAL", "https://:s3cret@portal.example.vn:8443/api/v1")
    config = portal_config()
    assert config.base_url == "https://portal.example.vn:8443/api/v1" and config.token == "s3cret"
    assert "s3cret" not in repr(config)
    monkeypatch.setenv("CDS_PORTAL_URL", "https://user:pw@dvc.example.vn/api/v1/?x=1")
    monkeypatch.setenv("CDS_PORTAL_TOKEN", "tok")
    config = portal_config()
    assert config.token == "tok" and config.safe_url == "https://dvc.example.vn/api/v1"
    monkeypatch.delenv("CDS_PORTAL_TOKEN")
    with pytest.raises(RuntimeError, match="CDS_PORTAL_TOKEN is not"):
        portal_config()


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_a_body_trickled_past_the_answer_timeout_is_abandoned_and_asked_again(dataset):
    # 40 pieces over 2 s: no read waits 0.25 s, the whole answer takes longer than 0.5 s
    faults = FaultPlan(pages={2: ("trickle", 99)}, delay=2.0)
    with (
        PortalServer(dataset, token=TOKEN, faults=faults) as server,
        pytest.raises(PortalApiError, match=r"page 2, .* after 2 attempts .* longer than 0.5 s"),
    ):
        pull(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 2}))


def test_a_row_with_a_key_the_contract_does_not_allow_fails_at_once(server, monkeypatch):
    from cds_devkit.portal_server.server import _Index

    rows = _Index.rows

    def bad_first_row(self, lo, hi):
        served = rows(self, lo, hi)
        served[0] = {**served[0], "updated_at": "2024-01-02T15:33:02Z"}
        return served

    monkeypatch.setattr(_Index, "rows", bad_first_row)
    sleeps = Sleeps()
    # the value by its shape only (a row out of line could hold a name there)
    with pytest.raises(PortalApiError, match=r"not retryable.*breaks the contract.*'9999-99-99x99:99:99x'") as err:
        pull(server, sleep=sleeps)
    assert err.value.attempts == 1 and not sleeps


def test_fields_left_out_of_any_row_count_as_null_in_that_row_only():
    spec = load_source("portal_dossiers")
    full = {"dossier_code": "X-1", "updated_at": "2024-03-01T08:00:00", "fee_vnd": 50000, "rating": "Hài lòng"}
    items = [{"dossier_code": "X-0", "updated_at": "2024-03-01T07:00:00"}, full, {**full, "dossier_code": "X-2"}]
    batch = page_to_batch(items, spec).to_pydict()
    assert batch["fee_vnd"] == [None, "50000", "50000"] and batch["rating"] == [None, "Hài lòng", "Hài lòng"]
    assert batch["dossier_code"] == ["X-0", "X-1", "X-2"] and batch["unit_code"] == [None, None, None]
