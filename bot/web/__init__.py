"""The web edge besides the platform adapters: app keys, file downloads through signed links,
and the HTTP API monitoring systems post to (source tokens, rectification notices)."""
