"""Qauym's built-in plugins. Each sub-package is a plugin found through the
``qauym.plugins`` entry-point group, exactly like a third-party plugin."""
