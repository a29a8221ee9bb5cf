"""Listening sessions: a host plays, members listen in step (see ``sessions/README.md``)."""
