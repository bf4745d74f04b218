"""J&T Express China (极兔) carrier adapter."""

from .adapter import JtAdapter

__all__ = ["JtAdapter"]
