"""Thin GraphQL resolvers: parse arguments, call ``tonearm.catalog``/services, convert."""
