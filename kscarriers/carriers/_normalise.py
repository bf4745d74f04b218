"""Normalising carrier codes: scan codes to statuses, signed-for refinement, intercept outcomes."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Tuple

from ..errors import ResponseFormatError
from ..models import InterceptFailure, InterceptStatus, TrackingStatus, TrackingSubStatus
from . import StatusTable

__all__ = ["classify", "intercept_outcome", "refine_signed"]


def classify(table: StatusTable, raw: str) -> Tuple[TrackingStatus, TrackingSubStatus]:
    """Look a raw scan code up; an unknown one is UNKNOWN/UNRECOGNISED, never an error."""
    return table.get(raw.strip(), (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED))


def refine_signed(
    pair: Tuple[TrackingStatus, TrackingSubStatus],
    text: str,
    *,
    proxy_words: Iterable[str],
    locker_words: Iterable[str] = (),
) -> Tuple[TrackingStatus, TrackingSubStatus]:
    """A signed-for scan refined by its text: collected from a locker, or signed by a proxy.

    Only SIGNED_BY_RECIPIENT is refined; locker words are looked for before proxy words.
    """
    if pair[1] is not TrackingSubStatus.SIGNED_BY_RECIPIENT:
        return pair
    if any(word in text for word in locker_words):
        return (TrackingStatus.DELIVERED, TrackingSubStatus.COLLECTED_FROM_LOCKER)
    if any(word in text for word in proxy_words):
        return (TrackingStatus.DELIVERED, TrackingSubStatus.SIGNED_BY_PROXY)
    return pair


def intercept_outcome(
    carrier: str,
    states: Mapping[str, InterceptStatus],
    failures: Mapping[str, InterceptFailure],
    *,
    raw_status: str,
    fail_code: str,
    where: str,
    raw: Any,
) -> Tuple[InterceptStatus, Optional[InterceptFailure]]:
    """A carrier's intercept state and failure code, normalised.

    An unknown state is a ResponseFormatError (it cannot be guessed safely); an unknown
    failure code of a FAILED intercept is CARRIER_REJECTED_OTHER.
    """
    state = states.get(raw_status)
    if state is None:
        raise ResponseFormatError(
            carrier=carrier,
            code="BAD_STATUS",
            message=f"{where}.status {raw_status!r} is not a known intercept state",
            raw=raw,
        )
    failure: Optional[InterceptFailure] = None
    if state is InterceptStatus.FAILED:
        failure = failures.get(fail_code, InterceptFailure.CARRIER_REJECTED_OTHER)
    return state, failure
