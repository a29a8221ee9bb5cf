"""Shares: links that let anyone holding a key listen to one track, album or playlist."""
