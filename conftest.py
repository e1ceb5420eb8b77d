"""Fixtures for every test in the repository (core and plugins) come from core.testing.

``tests/plugin_site`` holds a sample third-party plugin installed as a distribution (a
``.dist-info`` with an entry point in the ``qauym.plugins`` group); putting the folder on
``sys.path`` is what installing it would do.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests" / "plugin_site"))

pytest_plugins = ["core.testing", "core.testing_browser"]
