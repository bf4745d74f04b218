"""STO (申通) carrier adapter."""

from .adapter import StoAdapter

__all__ = ["StoAdapter"]
