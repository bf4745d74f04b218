"""Mock carrier server (ZTO, YTO, STO, J&T) for CI and QA: ``create_app`` builds the Flask app."""

from __future__ import annotations

from mockserver.app import Services, create_app, get_services

__all__ = ["Services", "create_app", "get_services"]
