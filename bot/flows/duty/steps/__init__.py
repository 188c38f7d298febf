"""The duty flow's deadline step handlers (each calls a transition): one module per area."""
