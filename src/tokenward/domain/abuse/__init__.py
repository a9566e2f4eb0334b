"""Abuse protection: throttling by account and by client IP, back-off, credential-stuffing detection."""
