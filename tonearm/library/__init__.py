"""The library: walking the media root, probing audio files, and the scan feeding the registry."""
