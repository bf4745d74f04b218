"""What you need to test your own code against the SDK, offline (docs/testing.md).

- transports: :class:`WSGITransport` (into any WSGI app, e.g. the mock server, no sockets),
  :class:`RecordingTransport` (keeps every exchange), :class:`ScriptedTransport` (answers from
  a list of responses and exceptions);
- :func:`build_push`: a push of any carrier, built and signed as the carrier does, to test
  your push receiver;
- :func:`answer` and :func:`register_answers`: realistic carrier answers of any operation
  (success, every refusal reason, envelope errors, faults), for a ScriptedTransport or for
  the ``responses`` library.

This package never imports ``mockserver``: it needs only the SDK.
"""

from __future__ import annotations

from .answers import FAULTS, answer, outcomes, register_answers
from .pushes import build_push, sample_events
from .transports import RecordingTransport, ScriptedTransport, WSGITransport

__all__ = [
    "FAULTS",
    "RecordingTransport",
    "ScriptedTransport",
    "WSGITransport",
    "answer",
    "build_push",
    "outcomes",
    "register_answers",
    "sample_events",
]
