"""The duty flow's transitions, one function each: one module per area."""
