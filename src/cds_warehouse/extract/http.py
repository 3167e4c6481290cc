"""GET JSON with retries: exponential backoff with jitter, Retry-After honoured, a clear error at the end.

Retried: timeouts (each wait for bytes, and the whole answer: a body trickled a byte at a time never
trips a read timeout), connection errors (refused, reset, closed without an answer, body cut short), HTTP
408, 429 and 5xx, a body that is not JSON, and whatever the caller's ``check`` rejects by raising
``Retryable`` (a page that is not consistent with its own paging metadata). Not retried: other 4xx (401,
403, 400, 404) and what ``check`` rejects by raising ``ContractViolation`` (a value the contract does not
allow): asking again cannot help. The bearer token travels in a header and is never logged or put in an
error, and neither is the text of an answer: errors name the status and the body's size and shape only.

tenacity runs the retry loop (attempt budget, backoff with jitter, the sleep, the log line before it) and
urllib3 reads Retry-After. What this module adds is what they cannot know: which answers are worth asking
again (the body is read and checked here, after the status), the deadline on the whole answer, and
errors that never quote the answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import tenacity
import urllib3

log = logging.getLogger(__name__)

RETRIED_STATUS = {408, 429, 500, 502, 503, 504}
TRANSIENT = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.HTTPError,  # raised while the body is read (reset, cut short, read timeout)
)
# Only its header parser is used; the policy, not this cap, decides which Retry-After is too long.
_RETRY_AFTER_PARSER = urllib3.Retry(retry_after_max=10**9)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The wait before attempt n+1 is drawn from [d/2, d] with d = base * 2**(n-1), capped
    at backoff_max; a 429's Retry-After is waited in full (when it is longer), up to max_retry_after."""

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0  # the longest wait for the next bytes
    answer_timeout: float = 300.0  # the longest a whole answer may take, request sent to last byte

    def backoff(self) -> tenacity.wait.wait_base:
        """Equal jitter: a fixed half of d plus a random part of up to the other half."""
        half = {"multiplier": self.backoff_base / 2, "max": self.backoff_max / 2}
        return tenacity.wait_exponential(**half) + tenacity.wait_random_exponential(**half)


class Retryable(Exception):
    """A response that arrived but cannot be used; asking again may give a good one."""


class ContractViolation(Exception):
    """A response that breaks the API contract in its values; asking again would get the same."""


class PortalApiError(RuntimeError):
    """A request that failed for good: after the retry budget, or with an answer retrying cannot fix."""

    def __init__(self, url: str, what: str, attempts: int, last_error: str, retryable: bool = True):
        self.url, self.what, self.attempts, self.last_error = url, what, attempts, last_error
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        reason = "retry budget exhausted" if retryable else "not retryable"
        super().__init__(f"GET {url} ({what}) failed {tries} ({reason}); last error: {last_error}")


class _TryAgain(Exception):
    """One attempt failed in a way another may not; the text says how, without quoting the answer."""

    def __init__(self, error: str, retry_after: float | None = None):
        super().__init__(error)
        self.retry_after = retry_after


class _GiveUp(Exception):
    """One attempt failed in a way no other attempt can fix."""


class JsonClient:
    """A requests session with the bearer token, and one retrying GET."""

    def __init__(
        self, base_url: str, token: str, policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep
    ):
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "cds-warehouse"}
        )
        self.attempts = 0  # requests sent, for the run's log
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict[str, Any], what: str, check: Callable[[Any], Any] | None = None) -> Any:
        """The JSON body of GET base_url+path (passed through `check`, whose result is returned)."""
        url = self.base_url + path
        shown = requests.Request("GET", url, params=params).prepare().url
        backoff = self.policy.backoff()

        def wait(state: tenacity.RetryCallState) -> float:
            return max(state.outcome.exception().retry_after or 0.0, backoff(state))

        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.retries += 1
            log.warning(
                "GET %s (%s): %s; attempt %s of %s, retrying in %.2f s",
                shown, what, state.outcome.exception(), state.attempt_number, self.policy.max_attempts,
                state.next_action.sleep,
            )  # fmt: skip

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=wait,
            retry=tenacity.retry_if_exception_type(_TryAgain),
            sleep=self.sleep,
            before_sleep=before_sleep,
        )
        try:
            return retrying(self._attempt, url, params, check)
        except tenacity.RetryError as exc:
            last = exc.last_attempt
            raise PortalApiError(shown, what, last.attempt_number, str(last.exception())) from None
        except _GiveUp as exc:
            attempts = retrying.statistics["attempt_number"]
            raise PortalApiError(shown, what, attempts, str(exc), retryable=False) from None

    def _attempt(self, url: str, params: dict[str, Any], check: Callable[[Any], Any] | None) -> Any:
        """One GET: the checked JSON body, or _TryAgain / _GiveUp saying what was wrong with the answer."""
        self.attempts += 1
        try:
            status, headers, content = self._fetch(url, params)
        except TRANSIENT as exc:
            raise _TryAgain(f"{type(exc).__name__}: {exc}") from None
        if status != 200:
            error = f"HTTP {status} ({body_shape(content)})"
            if status not in RETRIED_STATUS:
                raise _GiveUp(error)
            wait = _retry_after(headers.get("Retry-After")) if status == 429 else None
            if wait is not None and wait > self.policy.max_retry_after:
                allowed = self.policy.max_retry_after
                raise _GiveUp(f"{error}; Retry-After {wait:g} s exceeds the {allowed:g} s allowed")
            raise _TryAgain(error, retry_after=wait)
        try:
            body = json.loads(content)
            return check(body) if check else body
        except ContractViolation as exc:
            raise _GiveUp(f"answer breaks the contract: {exc}") from None
        except Retryable as exc:
            raise _TryAgain(f"inconsistent answer: {exc}") from None
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise _TryAgain(f"invalid JSON: {exc}") from None

    def _fetch(self, url: str, params: dict[str, Any]) -> tuple[int, Any, bytes]:
        """Status, headers and the whole body, read as it arrives; _TryAgain past answer_timeout (a deadline
        neither requests nor urllib3 offers: their read timeout is per read, not per answer)."""
        policy = self.policy
        deadline = time.monotonic() + policy.answer_timeout
        timeout = (policy.connect_timeout, policy.read_timeout)
        with self.session.get(url, params=params, timeout=timeout, allow_redirects=False, stream=True) as response:
            parts = []
            # read1: at most one read from the socket, so the deadline is checked as bytes trickle in
            while chunk := response.raw.read1(1 << 16, decode_content=True):
                parts.append(chunk)
                if time.monotonic() > deadline:
                    raise _TryAgain(f"the answer took longer than {policy.answer_timeout:g} s")
            return response.status_code, response.headers, b"".join(parts)


def body_shape(content: bytes) -> str:
    """What an error answer looked like, never what it said: a portal's error page may echo the record it
    failed on (names, ID numbers, phones), and this text reaches logs and raw.load_audit.message."""
    size = f"body of {len(content)} bytes"
    try:
        body = json.loads(content)
    except ValueError:
        return f"{size}, not JSON"
    if isinstance(body, dict):
        return f"{size}, a JSON object with {len(body)} field(s)"
    if isinstance(body, list):
        return f"{size}, a JSON array of {len(body)} item(s)"
    return f"{size}, a JSON {type(body).__name__}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return _RETRY_AFTER_PARSER.parse_retry_after(value)
    except urllib3.exceptions.InvalidHeader:
        return None
