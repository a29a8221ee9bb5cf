"""Pub/sub between the processes that serve one library (see ``pubsub/README.md``)."""
