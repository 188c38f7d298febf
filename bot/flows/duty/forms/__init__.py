"""What people type in the duty flow, parsed and validated: one module per area."""
