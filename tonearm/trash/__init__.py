"""The trash: deleting moves a track, album or playlist here until it is restored or purged
(README.md)."""
