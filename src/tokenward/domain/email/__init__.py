"""E-mail: the mailer port, verification and reset flows, one-time links, sign-in notices."""
