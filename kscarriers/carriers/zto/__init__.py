"""ZTO (中通) carrier adapter."""

from .adapter import ZtoAdapter

__all__ = ["ZtoAdapter"]
