"""The chat core: neutral events, outgoing intents, dispatch, conversations and the outbox."""
