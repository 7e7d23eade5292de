"""Build tooling of the book (not imported by chapters or notebooks)."""
