"""Publish: results assembled into tables, figures and pages for the terminal, Markdown and HTML."""
