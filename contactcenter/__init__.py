"""contactcenter: an open, self-hostable call and contact center."""

__version__ = "0.1.0"
