"""The last resort: no exception ever reaches the HTTP server.

Starlette's outermost error middleware answers an unexpected exception with a 500 and then raises it again
to the server, which logs a traceback and closes the connection: a keep-alive client loses its connection
with the answer, and an outage writes one traceback per request. ``api.middleware.EdgeMiddleware`` sits
inside it and catches first, with the triage named here, so nothing is raised further:

- an error that shows a dependency down (one that escaped the adapters' own translation) becomes
  ``503 dependency_unavailable`` with ``Retry-After`` and is reported to the health tracker;
- anything else becomes a bare ``500 internal_error``, logged in one line, with its traceback at most once a
  minute per distinct error.

Either answer has the shape of its route (problem document, or RFC 6749 on ``/oauth/*``). An exception after
the answer began cannot be answered any more; the server then closes that one connection.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from tokenward.errors import TokenwardError

#: turns an exception that escaped every route into the refusal to answer with (and reports it); the adapters
#: know which exceptions mean a dependency is down, so bootstrap passes theirs (``adapters.dependencies``)
Triage = Callable[[Exception, str], TokenwardError]

_log = structlog.get_logger("tokenward.api")


def log_unhandled(exc: Exception, path: str) -> TokenwardError:
    """The triage when nothing better is wired: one log line, a bare 500."""
    _log.error("unhandled_error", path=path, cause=type(exc).__name__, exc_info=exc)
    return TokenwardError()
