"""The schema as SQLAlchemy Core tables: the one description both the repositories and Alembic read.

Constraint names come from a naming convention so that migrations can refer to (and drop) them by a name
that is the same on SQLite and PostgreSQL, instead of whatever each server would invent.
Only hashes of refresh tokens and only encrypted private keys are stored (threats T-REF-03, T-KEY-01).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

from tokenward.adapters.sql.columns import UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    #: the address as the user wrote it, for display and e-mails
    Column("email", Text, nullable=False),
    #: ``canonical_email(email)`` (domain/accounts/email_addresses): the one form for look-ups and uniqueness
    Column("email_normalized", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("display_name", Text, nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    # erasing a user erases their sessions (and, through them, their refresh tokens)
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("family_id", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("auth_time", UTCDateTime, nullable=False),
    #: authentication methods (RFC 8176 values) as a JSON list
    Column("amr", json_type(), nullable=False),
    Column("scope", Text, nullable=False),
    Column("ip", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", Text, nullable=True),
    #: the registered client the tokens were issued to (NULL: this server's own API)
    Column("client_id", Text, nullable=True),
    #: for a client's session, the browser session it was started from (ending that one ends this one)
    Column("browser_session_id", Text, nullable=True),
)
#: partial: most sessions have no browser session, and no lookup asks for those (migration 0014)
Index(
    "ix_sessions_browser_session_id",
    sessions.c.browser_session_id,
    postgresql_where=sessions.c.browser_session_id.is_not(None),
    sqlite_where=sessions.c.browser_session_id.is_not(None),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    #: hex SHA-256 of the token; the token itself is never stored
    Column("token_hash", Text, primary_key=True),
    Column("session_id", Text, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("family_id", Text, nullable=False, index=True),
    Column("user_id", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("alg", Text, nullable=False),
    Column("state", Text, nullable=False),
    #: public members only; served as the JWKS without decrypting anything
    Column("public_jwk", json_type(), nullable=False),
    #: AES-256-GCM ciphertext of the PKCS#8 private key, bound to ``kid``
    Column("encrypted_private_key", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("activated_at", UTCDateTime, nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    #: the event's place in the hash chain (1, 2, 3, ... without gaps), assigned under the chain head's lock
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("type", Text, nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", Text, nullable=False),
    # no foreign key: the trail must outlive (and must not block) the erasure of the user it mentions
    Column("user_id", Text, nullable=True),
    Column("session_id", Text, nullable=True),
    Column("details", json_type(), nullable=False),
    #: hex SHA-256 of the sealed personal fields (in ``audit_personal``); the chain covers it, not the fields
    Column("personal_digest", Text, nullable=True),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)
Index(None, audit_events.c.user_id, audit_events.c.at)

audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    #: one row (id 1): the newest event's sequence number and hash, locked by each append
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", Text, nullable=False),
)

audit_personal = Table(
    "audit_personal",
    metadata,
    #: an event's personal fields (IP address, user agent), AES-256-GCM under the subject's data key;
    #: deleted after the audit retention (the event and its digest stay)
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("sealed", LargeBinary, nullable=False),
)

audit_data_keys = Table(
    "audit_data_keys",
    metadata,
    #: the user the key seals for ("*" for events about no user); no foreign key: it outlives the user
    Column("user_id", Text, primary_key=True),
    #: the data key wrapped under the KEK; NULL once destroyed (erasure): the row remembers the destruction
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("destroyed_at", UTCDateTime, nullable=True),
)

# clean-up deletes by expiry (issue 3)
Index(None, sessions.c.expires_at)
Index(None, refresh_tokens.c.expires_at)

clients = Table(
    "clients",
    metadata,
    #: registered clients: OpenID Connect relying parties and resource servers that introspect tokens
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    #: ``public`` or ``confidential``
    Column("type", Text, nullable=False),
    #: hex SHA-256 of a confidential client's 256-bit secret; the secret itself is never stored
    Column("secret_hash", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    #: JSON lists of exact URIs
    Column("redirect_uris", json_type(), nullable=False),
    Column("post_logout_redirect_uris", json_type(), nullable=False),
    #: space-separated scopes the client may ask for (or, ``admin``, use itself)
    Column("scopes", Text, nullable=False, default=""),
    Column("first_party", Boolean, nullable=False, default=False),
    #: where logout tokens are posted (OpenID Back-Channel Logout); none when unset
    Column("backchannel_logout_uri", Text, nullable=True),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    #: hex SHA-256 of the code; the code itself is never stored
    Column("code_hash", Text, primary_key=True),
    Column("client_id", Text, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("browser_session_id", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("code_challenge", Text, nullable=False),
    Column("nonce", Text, nullable=True),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("amr", json_type(), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime, nullable=True),
    Column("token_session_id", Text, nullable=True),
    #: when the code was presented again after its first use
    Column("replayed_at", UTCDateTime, nullable=True),
)

consents = Table(
    "consents",
    metadata,
    #: what a user allowed a client that is not first-party, remembered until revoked on the account page
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", Text, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("scopes", Text, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    #: "only one process does X at a time": clean-up, key rotation
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

totp_factors = Table(
    "totp_factors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    #: AES-256-GCM ciphertext of the TOTP secret under the key-encryption key, bound to user and factor id
    Column("encrypted_secret", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    #: NULL while enrolment waits for its first code
    Column("confirmed_at", UTCDateTime, nullable=True),
    #: newest accepted time step; a code of this step or an older one is a replay (threat T-MFA-02)
    Column("last_step", BigInteger, nullable=True),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    #: hex SHA-256 of user id and code; the code itself is never stored
    Column("code_hash", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

mfa_challenges = Table(
    "mfa_challenges",
    metadata,
    #: hex SHA-256 of the MFA token of a pending sign-in
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ip", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime, nullable=True),
)

one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    #: hex SHA-256 of an e-mailed token (verification, password reset, "this was not me")
    Column("token_hash", Text, primary_key=True),
    Column("purpose", Text, nullable=False),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session_id", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

known_devices = Table(
    "known_devices",
    metadata,
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    #: hash of the user-agent family and the network (/24 or /48) a sign-in came from
    Column("fingerprint", Text, primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)

passkeys = Table(
    "passkeys",
    metadata,
    #: base64url of the authenticator's credential id: one credential belongs to one account
    Column("credential_id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_handle", Text, nullable=False),
    #: the COSE public key; only public material is stored
    Column("public_key", LargeBinary, nullable=False),
    #: moved only forwards by a conditional UPDATE (threat T-FAC-03)
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", json_type(), nullable=False),
    Column("name", Text, nullable=False),
    Column("backup_eligible", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
)

webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    #: hex SHA-256 of the challenge bytes; taken once (``used_at``) by the first response naming it
    Column("challenge_hash", Text, primary_key=True),
    Column("ceremony", Text, nullable=False),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("binding", Text, nullable=True),
    Column("user_handle", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

otp_factors = Table(
    "otp_factors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    #: ``sms`` or ``email``: one factor per channel and user
    Column("channel", Text, nullable=False),
    #: E.164 phone number or e-mail address, stored only once a code sent there came back
    Column("destination", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    UniqueConstraint("user_id", "channel"),
)

otp_challenges = Table(
    "otp_challenges",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("channel", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("destination", Text, nullable=False),
    #: the MFA-token hash of the sign-in a sign-in code belongs to
    Column("binding", Text, nullable=True),
    #: hex SHA-256 of challenge id and code; the code itself is never stored
    Column("code_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime, nullable=True),
)

revocations = Table(
    "revocations",
    metadata,
    #: the durable record of the deny-list (``domain.sessions.durable_denylist``); Redis holds the fast copy
    Column("kind", Text, primary_key=True),
    #: a session id (kind ``session``) or an access token's ``jti`` (kind ``token``)
    Column("revoked_id", Text, primary_key=True),
    #: when the entry stops mattering: the last expiry of a token it refuses; clean-up deletes it after that
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

ALL_TABLES = (
    users,
    sessions,
    refresh_tokens,
    signing_keys,
    audit_events,
    audit_chain_head,
    audit_personal,
    audit_data_keys,
    clients,
    authorization_codes,
    consents,
    leases,
    totp_factors,
    recovery_codes,
    mfa_challenges,
    one_time_tokens,
    known_devices,
    passkeys,
    webauthn_challenges,
    otp_factors,
    otp_challenges,
    revocations,
)
