"""Composition root: settings -> policies -> stores -> keys -> services -> app. The only package that imports
everything; nothing here runs at import time.

The parts, in the order a start goes through them:

- ``startup``: the settings check (production refuses unsafe settings) and logging, once per container.
- ``policies``: each setting translated into the frozen policy a domain service takes.
- ``stores``: which adapter serves which port (SQL; Redis or memory; SMTP or the outbox), opening and closing.
- ``keys``: the key-encryption key and the signing-key ring it must be able to open.
- ``services``: every domain service wired from its policy, its stores and the services it calls.
- ``container``: ``Container`` (the wired services) and ``build_container``, the one path to it.
- ``app``: ``build_app``, whose lifespan builds and closes the container, and the uvicorn factory.
- ``commands``: what the CLI needs besides the container (``preflight``, ``run_migrations``).
"""

from tokenward.bootstrap.app import api_config, app_from_environment, build_app
from tokenward.bootstrap.commands import preflight, run_migrations
from tokenward.bootstrap.container import KEY_ROTATION_STEP_SECONDS, Container, build_container
from tokenward.bootstrap.keys import load_kek
from tokenward.bootstrap.policies import JWKS_MAX_AGE_SECONDS, rotation_policy, throttle_policy
from tokenward.bootstrap.services import build_throttle
from tokenward.bootstrap.startup import check_settings
from tokenward.bootstrap.stores import build_mailer

__all__ = [
    "JWKS_MAX_AGE_SECONDS",
    "KEY_ROTATION_STEP_SECONDS",
    "Container",
    "api_config",
    "app_from_environment",
    "build_app",
    "build_container",
    "build_mailer",
    "build_throttle",
    "check_settings",
    "load_kek",
    "preflight",
    "rotation_policy",
    "run_migrations",
    "throttle_policy",
]
