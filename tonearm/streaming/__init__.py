"""Streaming: signed stream URLs and the Range-capable byte-serving route."""
