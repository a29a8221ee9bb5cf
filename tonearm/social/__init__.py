"""What listeners do with the library: likes, play history, popularity, comments (see README)."""
