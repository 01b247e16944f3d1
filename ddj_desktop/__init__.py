"""DDJ Desktop: offline Data-Driven Justice for a small county."""

__version__ = "0.1.0"
