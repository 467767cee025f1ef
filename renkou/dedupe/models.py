"""Models of duplicate detection."""
