"""Adapters: the concrete storage, cache and delivery behind the domain's ports.

Each sub-package implements ``typing.Protocol`` ports declared in ``tokenward.domain``; only
``tokenward.bootstrap`` picks which adapter serves which port, so the domain never learns what is behind it.
"""
