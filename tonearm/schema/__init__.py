"""The GraphQL API: types, schema construction, the HTTP router and schema export."""
