"""tonearm: a self-hosted music registry and streaming server."""

__version__ = "0.1.0"
