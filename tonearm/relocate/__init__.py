"""``tonearm storage migrate``: moving uploads, variants and thumbnails between storages."""
