"""In-process adapters for the embedded default (one process): the deny-list."""

from tokenward.adapters.memory.denylist import MemoryDenyList

__all__ = ["MemoryDenyList"]
