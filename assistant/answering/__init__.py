"""Answerers: turn retrieved passages into a CitedAnswer (extractive default; LLM backends later)."""
