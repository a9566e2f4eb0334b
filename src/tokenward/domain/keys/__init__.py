"""Signing keys: JWK model, the key ring and its rotation, key encryption at rest, KEK rotation."""
