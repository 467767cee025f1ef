"""Duplicate detection (查重) with splink, and the review queue that merges or separates candidate pairs."""
