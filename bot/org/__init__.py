"""Loading and exporting the organisation directory and the account registry."""
