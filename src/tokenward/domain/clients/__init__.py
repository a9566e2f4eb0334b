"""Registered clients: API clients that authenticate with an id and a secret."""
