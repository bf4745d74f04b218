"""The distribution's version, in one place (the User-Agent and packaging read it)."""

__version__ = "0.1.0"
