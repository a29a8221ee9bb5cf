"""Where tonearm keeps what it writes besides the scanned media root (see README.md)."""
