"""Policy presets: one module per jurisdiction (``presets``), the model of what a preset sets
(``model``) and loading one with its overrides (``loader``)."""
