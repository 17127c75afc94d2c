"""The respondent's side: the form behind each one-time link."""

from .routes import bp

__all__ = ["bp"]
