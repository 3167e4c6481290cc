"""Faults on demand: per-request rates drawn from a seeded generator, and/or explicit page numbers."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Faults: transport faults hit any endpoint, page faults only /dossiers.
TRANSPORT_FAULTS = ("error", "unavailable", "throttle", "timeout", "disconnect")
PAGE_FAULTS = ("truncate", "repeat", "skip", "shuffle", "trickle", "sparse", "zoned", "echo")
FAULT_KINDS = TRANSPORT_FAULTS + PAGE_FAULTS


# --------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultPlan:
    """Which requests go wrong, and how.

    rates: kind -> probability per request (kinds in FAULT_KINDS; their sum at most 1). One draw per
        request from a generator seeded with `seed`: the same request sequence meets the same faults.
    pages: page number within the requested window (1-based, at the requested limit) -> kind, or
        (kind, times): the fault hits the first `times` requests of that page (default once).
    Kinds: error (500), unavailable (503), throttle (429 with Retry-After: `retry_after`), timeout (the
    answer comes after `delay` seconds), disconnect (connection closed without an answer), truncate (JSON
    cut in half), repeat (the previous page's rows again, as an unstable sort order produces), skip (the
    next page's rows instead of this one's), shuffle (this page's rows out of order), trickle (the page
    sent in small pieces spread over `delay` seconds: no single read waits long, the whole answer does).
    echo (a 500 whose body echoes the page's first record, personal data included, as some error pages do).
    Two variants the contract allows, for a pull that must still be exact: sparse (fields whose value is
    null left out of each row, as some serialisers do) and zoned (timestamps written with "+07:00").
    latency: seconds added to every /dossiers answer (to slow a pull down, e.g. to kill it midway).
    """

    seed: int = 0
    rates: Mapping[str, float] = field(default_factory=dict)
    pages: Mapping[int, str | tuple[str, int]] = field(default_factory=dict)
    retry_after: str = "1"
    delay: float = 2.0
    latency: float = 0.0

    def __post_init__(self):
        unknown = set(self.rates) | {(v if isinstance(v, str) else v[0]) for v in self.pages.values()}
        unknown -= set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if sum(self.rates.values()) > 1:
            raise ValueError("fault rates add up to more than 1")


class FaultState:
    def __init__(self, plan: FaultPlan):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.page_hits: Counter = Counter()
        self.lock = threading.Lock()

    def draw(self, page: int | None) -> str | None:
        with self.lock:
            u = self.rng.random()  # drawn for every request, so explicit page faults do not shift the sequence
            if page is not None and page in self.plan.pages:
                entry = self.plan.pages[page]
                kind, times = (entry, 1) if isinstance(entry, str) else entry
                self.page_hits[page] += 1
                if self.page_hits[page] <= times:
                    return kind
            cumulative = 0.0
            for kind, rate in self.plan.rates.items():
                if page is None and kind in PAGE_FAULTS:
                    continue
                cumulative += rate
                if u < cumulative:
                    return kind
            return None
