"""Pure card builders of the duty flow (values in, ``Card`` out): one module per area."""
