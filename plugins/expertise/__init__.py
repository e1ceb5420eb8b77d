"""Expertise: open expert review of lesson plans and methodological materials, and the library
of recommended materials that grows out of it."""
