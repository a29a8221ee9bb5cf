"""Editing tracks and albums: validation, overrides, tags of uploaded files, regrouping."""
