"""What people read in the duty flow (rosters, chains of shifts, lists): one module per area."""
