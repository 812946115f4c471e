"""Sphinx configuration: numpydoc, autosummary and an executed example gallery."""

import os
import re
from pathlib import Path

from sphinx.util import logging

import skdeep

logger = logging.getLogger(__name__)

project = "skdeep"
author = "The skdeep developers"
copyright = "2026, The skdeep developers"
release = skdeep.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax copied into the site (_static/mathjax) instead of loaded from a
    # CDN: the site is also read offline.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_design",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
# autosummary's class template lists the methods; numpydoc would list them again.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"skdeep {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the landing page has no sections to list: its cards take the width
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"], "index": []},
}
html_static_path = []

# The gallery runs every example; the affordability example reads the CSV
# from SKDEEP_DATA_HOME (set by .ci/run), as a user's copy would.
os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "doc_module": ("skdeep",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skdeep": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # Its page loads jQuery and DataTables from CDNs, and the site is also
    # read offline.
    "write_computation_times": False,
}


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Leave out methods inherited from scikit-learn (get_params, score, the
    metadata-request setters): their docstrings link into scikit-learn's own
    site, and they work exactly as documented there."""
    if (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


# What a gallery page shows when a cell ends in a plotting call rather than
# plt.show(): the repr of the artist or display the call returned.
_STRAY_REPR = re.compile(
    r"object at 0x[0-9a-f]+"  # <matplotlib.legend.Legend object at 0x...>
    r"|^\s+\[?(Text\(|<matplotlib\.|<skdeep\.)"  # Text(...), [<matplotlib.lines...
)


def _check_gallery_output(app):
    """Warn when an example's output shows a repr such as
    ``<matplotlib.legend.Legend object at 0x...>``: a -W build then fails.

    Runs after sphinx-gallery has executed the examples and written their
    pages, output included."""
    gallery = sphinx_gallery_conf["gallery_dirs"]
    for page in sorted((Path(app.srcdir) / gallery).glob("*.rst")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if _STRAY_REPR.search(line):
                logger.warning(
                    f"stray repr in an example's output: {line.strip()[:80]!r}; "
                    "end the cell with plt.show()",
                    location=(f"{gallery}/{page.stem}", number),  # docname
                )


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
    # after sphinx-gallery's own builder-inited handler (priority 500)
    app.connect("builder-inited", _check_gallery_output, priority=900)
