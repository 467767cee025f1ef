"""Validation rules (校验规则), their worklists and the data-quality scorecard (数据质量评分)."""
