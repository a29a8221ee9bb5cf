"""``tonearm backup PATH``: a consistent copy of one box's state while it runs."""
