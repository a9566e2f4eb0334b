"""Audit: security events, the trail that records them, and the sink port."""
