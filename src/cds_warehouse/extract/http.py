"""GET JSON with retries: exponential backoff with jitter, Retry-After honoured, a clear error at the end.

Retried: timeouts (each wait for bytes, and the whole answer: a body trickled a byte at a time never
trips a read timeout), connection errors (refused, reset, closed without an answer, body cut short), HTTP
408, 429 and 5xx, a body that is not JSON, and whatever the caller's ``check`` rejects by raising
``Retryable`` (a page that is not consistent with its own paging metadata). Not retried: other 4xx (401,
403, 400, 404) and what ``check`` rejects by raising ``ContractViolation`` (a value the contract does not
allow): asking again cannot help. The bearer token travels in a header and is never logged or put in an
error, and neither is the text of an answer: errors name the status and the body's size and shape only.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
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

    def backoff(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Retryable(Exception):
    """A response that arrived but cannot be used; asking again may give a good one."""


class ContractViolation(Exception):
    """A response that breaks the API contract in its values; asking again would get the same."""


class AnswerTooSlow(Exception):
    """The whole answer took longer than the policy's answer_timeout."""


class PortalApiError(RuntimeError):
    """A request that failed for good: after the retry budget, or with an answer retrying cannot fix."""

    def __init__(self, url: str, what: str, attempts: int, last_error: str, retryable: bool = True):
        self.url, self.what, self.attempts, self.last_error = url, what, attempts, last_error
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        reason = "retry budget exhausted" if retryable else "not retryable"
        super().__init__(f"GET {url} ({what}) failed {tries} ({reason}); last error: {last_error}")


class JsonClient:
    """A requests session with the bearer token, and one retrying GET."""

    def __init__(
        self,
        base_url: str,
        token: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
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
        policy = self.policy
        last_error = ""
        for attempt in range(1, policy.max_attempts + 1):
            self.attempts += 1
            wait = None
            try:
                status, headers, content = self._fetch(url, params)
                if status == 200:
                    body = json.loads(content)
                    return check(body) if check else body
                last_error = f"HTTP {status} ({body_shape(content)})"
                if status not in RETRIED_STATUS:
                    raise PortalApiError(shown, what, attempt, last_error, retryable=False)
                if status == 429:
                    wait = _retry_after(headers.get("Retry-After"))
                    if wait is not None and wait > policy.max_retry_after:
                        raise PortalApiError(
                            shown,
                            what,
                            attempt,
                            f"{last_error}; Retry-After {wait:g} s exceeds the {policy.max_retry_after:g} s allowed",
                            retryable=False,
                        )
            except TRANSIENT as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            except AnswerTooSlow as exc:
                last_error = str(exc)
            except ContractViolation as exc:
                raise PortalApiError(shown, what, attempt, f"answer breaks the contract: {exc}", False) from None
            except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
                last_error = f"invalid JSON: {exc}"
            except Retryable as exc:
                last_error = f"inconsistent answer: {exc}"
            if attempt == policy.max_attempts:
                break
            delay = max(wait or 0.0, policy.backoff(attempt, self.rng))
            self.retries += 1
            log.warning(
                "GET %s (%s): %s; attempt %s of %s, retrying in %.2f s",
                shown, what, last_error, attempt, policy.max_attempts, delay,
            )  # fmt: skip
            self.sleep(delay)
        raise PortalApiError(shown, what, policy.max_attempts, last_error)

    def _fetch(self, url: str, params: dict[str, Any]) -> tuple[int, Any, bytes]:
        """Status, headers and the whole body, read as it arrives; AnswerTooSlow past answer_timeout."""
        policy = self.policy
        deadline = time.monotonic() + policy.answer_timeout
        timeout = (policy.connect_timeout, policy.read_timeout)
        with self.session.get(url, params=params, timeout=timeout, allow_redirects=False, stream=True) as response:
            parts = []
            # read1: at most one read from the socket, so the deadline is checked as bytes trickle in
            while chunk := response.raw.read1(1 << 16, decode_content=True):
                parts.append(chunk)
                if time.monotonic() > deadline:
                    raise AnswerTooSlow(f"the answer took longer than {policy.answer_timeout:g} s")
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
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
