"""Platform adapters: the only code that knows wire formats, signatures, tokens and limits."""
