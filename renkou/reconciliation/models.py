"""Models of reconciliation."""
