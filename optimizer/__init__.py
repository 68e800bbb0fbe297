"""Plans the supply of critical minerals for an allied trade zone (see MODEL.md)."""

__version__ = "0.1.0"
