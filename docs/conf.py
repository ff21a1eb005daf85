"""Sphinx configuration for hubtypes' documentation (MyST Markdown + autodoc-traits)."""

from hubtypes import __version__

project = "hubtypes"
author = "hubtypes contributors"
copyright = "hubtypes contributors"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "autodoc_traits",  # the `autoconfigurable` directive: config traits and their help
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"hubtypes {release}"
