"""Sphinx configuration: numpydoc, autosummary and an executed example gallery."""

import os

import skdeep

project = "skdeep"
author = "The skdeep developers"
copyright = "2026, The skdeep developers"
release = skdeep.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
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
}


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Leave out methods inherited from scikit-learn (get_params, score, the
    metadata-request setters): their docstrings link into scikit-learn's own
    site, and they work exactly as documented there."""
    if (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
