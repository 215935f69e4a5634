"""Sphinx configuration of nmfkit's documentation site.

Build it from the project root with ``sphinx-build -W --keep-going docs docs/_build/html``
(``pip install -e ".[docs]"`` first). The pages are the Markdown files of ``docs/`` (read by
myst-parser), the API reference is generated from the numpydoc docstrings (autosummary),
and the gallery runs the scripts of ``examples/`` during the build (sphinx-gallery).
"""

import os
import re

from sphinx_gallery.sorting import ExplicitOrder

import nmfkit

project = "nmfkit"
author = "the nmfkit developers"
copyright = "the nmfkit developers"
release = nmfkit.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "img", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

# --- Markdown (myst-parser): the existing pages, read as they are on GitHub
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3  # "#choosing-k"-style links between and within pages


# --- API reference: autosummary stubs from the numpydoc docstrings
autosummary_generate = True
autosummary_imported_members = True  # nmfkit.plot re-exports nmfkit.applications.plot
autosummary_ignore_module_all = False  # a module's public names are its __all__
# members on the pages of classes (_templates/autosummary/class.rst), not of modules
autodoc_default_options = {
    # scikit-learn's metadata-routing machinery, documented by scikit-learn
    "exclude-members": ", ".join(
        f"set_{method}_request"
        for method in ("fit", "partial_fit", "predict", "score", "transform", "inverse_transform")
    )
    + ", get_metadata_routing",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autosummary lists the members instead
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The docstrings are written to read well in help(), where a fitted attribute is named as
# it is spelled (components_, n_components_). In reStructuredText a word ending in "_" is a
# link to a target of that name, so outside literals such names are shown as code.
_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")
_NAME = re.compile(r"(?<![\w`.:*|/-])([A-Za-z][A-Za-z0-9_]*_)(?![\w`])")
_ENTRY = re.compile(r"^(\s*[A-Za-z]\w*_)(\s*:.*|\s*)$")  # "components_ : ndarray ..."


def _quote(text):
    parts = _LITERAL.split(text)
    return "".join(p if i % 2 else _NAME.sub(r"``\1``", p) for i, p in enumerate(parts))


def _indent(line):
    return len(line) - len(line.lstrip())


def _quote_attribute_names(app, what, name, obj, options, lines):
    block = None  # indentation of the ".. math::" (any directive) or "::" opening a block
    for i, line in enumerate(lines):
        if block is not None:
            if not line.strip() or _indent(line) > block:
                continue  # math, code or a literal block: left as written
            block = None
        if line.lstrip().startswith((">>>", "...")):
            continue
        if line.lstrip().startswith(".. ") or line.rstrip().endswith("::"):
            block = _indent(line)
        entry = _ENTRY.match(line)
        lines[i] = entry.group(1) + _quote(entry.group(2)) if entry else _quote(line)


def setup(app):
    # before numpydoc (priority 500) reads the sections
    app.connect("autodoc-process-docstring", _quote_attribute_names, priority=400)


# --- gallery: every examples/plot_*.py runs during the build; its figures are the site's
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": False,  # every failing example is reported, then -W fails
    "show_signature": False,
    "min_reported_time": 1,
    # in the order of the applications page
    "within_subsection_order": ExplicitOrder(
        [
            f"plot_{name}.py"
            for name in (
                "topics",
                "recommender",
                "parts",
                "rank",
                "unmixing",
                "single_cell",
                "audio",
                "family",
                "loss_curves",
            )
        ]
        + ["*"]
    ),
}

# --- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"nmfkit {release}"
html_theme_options = {
    "logo": {"text": "nmfkit"},
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# pages without sections of their own get no (empty) left sidebar, and a wider text
html_sidebars = {
    page: []
    for page in ("index", "getting-started", "scikit-learn", "benchmarks", "reliability", "design")
}
html_static_path = ["_static"]
html_favicon = "_static/nmfkit.svg"  # without one, every browser asks for /favicon.ico (404)
html_logo = "_static/nmfkit.svg"
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says
html_show_sourcelink = False
html_copy_source = False

# matplotlib in the gallery draws off-screen
os.environ.setdefault("MPLBACKEND", "agg")
