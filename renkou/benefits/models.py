"""Models of family benefits."""
