"""Redis adapters for several processes: the shared deny-list (and, alongside, the rate limiter)."""

from tokenward.adapters.redis.client import create_redis_client
from tokenward.adapters.redis.denylist import RedisDenyList

__all__ = ["RedisDenyList", "create_redis_client"]
