"""YTO (圆通) carrier adapter."""

from .adapter import YtoAdapter

__all__ = ["YtoAdapter"]
