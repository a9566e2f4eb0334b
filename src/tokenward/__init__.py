"""Tokenward."""
