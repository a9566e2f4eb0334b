"""Sessions: the session record, refresh tokens and their rotation, the deny-list, introspection."""
