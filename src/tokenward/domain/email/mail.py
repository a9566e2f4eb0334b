"""The old home of ``EmailMessage`` and ``Mailer``, now in ``email/model.py`` and ``email/ports.py``.

Kept only so that imports not yet moved keep working; delete it once nothing imports it.
"""

from tokenward.domain.email.model import EmailMessage as EmailMessage
from tokenward.domain.email.ports import Mailer as Mailer
