"""One delivery attempt: whatever the sender or the ack check does, an attempt is recorded."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mockserver.pushes.delivery import attempt_delivery
from mockserver.world import PushRecord, PushState

NOW = datetime(2025, 1, 6, 2, 0, tzinfo=timezone.utc)


def _record() -> PushRecord:
    return PushRecord(
        id="P000001-zto-k",
        seq=1,
        carrier="zto",
        app_key="k",
        kind="trace",
        waybills=("73100130019486",),
        url="http://x.test/push",
        headers={},
        body="{}",
        state=PushState.PENDING,
        created_at=NOW,
        due_at=NOW,
    )


def test_an_ack_check_that_raises_becomes_an_unacknowledged_attempt() -> None:
    def is_ack(status: int, body: bytes) -> bool:
        raise ValueError("cannot read this answer")

    def sender(*args: Any) -> Any:
        return 200, b"{}"

    attempt = attempt_delivery(_record(), sender=sender, is_ack=is_ack, timeout=1.0, now=lambda: NOW)
    assert attempt.acked is False and attempt.status is None
    assert attempt.error == "ValueError: cannot read this answer"
