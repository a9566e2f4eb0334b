"""OpenID Connect adapters: the back-channel logout sender."""
