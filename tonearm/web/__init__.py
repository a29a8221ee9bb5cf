"""HTTP plumbing outside GraphQL and streaming: health, the player's static files, logging."""
