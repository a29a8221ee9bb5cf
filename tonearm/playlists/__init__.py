"""Playlists: users' static and smart playlists and the server's M3U files (see README)."""
