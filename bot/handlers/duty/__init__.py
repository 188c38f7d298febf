"""The duty flow's handlers: one module per area, each with its own card-action prefix
(``duty`` roster and swaps, ``handover``, ``alert``, ``patrol``, ``leaving``)."""
