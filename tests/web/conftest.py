"""Fixtures of the web tests: the CLI's in-process runner (for ``tonearm nginx-config``)."""

from tests.test_cli import in_process  # noqa: F401 - a fixture, shared
