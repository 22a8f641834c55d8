"""Defenses: registered input transformations in front of a model (see :mod:`.base`)."""
