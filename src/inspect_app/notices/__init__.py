"""Rectification notices (整改通知书): numbered, content-hashed, rendered as HTML and PDF."""
