"""Policy presets: one module per jurisdiction (``presets``), the model of what a preset sets
(``model``), loading one with its overrides (``loader``), and the process's active policy with
its calendar (``runtime``: ``services.timekeeping``)."""
