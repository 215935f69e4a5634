"""The documentation site: Sphinx builds it without a single warning, a real browser renders
it, and the ``all`` extra stays the union of the runtime extras.

The build runs Sphinx (myst-parser for the Markdown pages, numpydoc and autosummary for the
API reference, sphinx-gallery for ``examples/``, which run) on a copy of ``docs/`` and
``examples/`` in a temporary folder, with warnings as errors. The browser test loads the
built index, a gallery page and an HTML topic report (``nmfkit topics --report``) in
headless Chromium through Playwright, and saves a screenshot of each to the folder named by
``NMFKIT_SCREENSHOTS`` (else a temporary one). Without Chromium it skips, saying how to
install it.
"""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nmfkit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("NMFKIT_CHROMIUM", "/usr/bin/chromium"))
# headless Chromium without a sandbox (CI runs as root) and without any network of its own
# (without these it waits on refused connections to Google's services)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUNTIME_EXTRAS = ("plot", "torch", "dask", "anndata")
APPLICATION_PAGES = [
    "topic-words",
    "recommender",
    "faces",
    "rank",
    "unmixing",
    "single_cell",
    "audio",
    "family",
]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))


# --- the `all` extra --------------------------------------------------------------------


def _extras():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli", reason="Python 3.10 reads TOML with tomli")
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def test_all_extra_is_the_union_of_the_runtime_extras():
    extras = _extras()
    union = {req for name in RUNTIME_EXTRAS for req in extras[name]}
    assert set(extras["all"]) == union, "the 'all' extra must list every runtime extra's needs"
    assert len(extras["all"]) == len(union)  # each once
    # every extra that is not for tests or docs is a runtime one, hence in 'all'
    assert set(extras) - {"all", "test", "docs"} == set(RUNTIME_EXTRAS)
    assert "torch>=2.1" in extras["all"]  # any build: its CUDA or CPU flavour is the user's


def test_docs_extra_is_in_the_test_extra():
    extras = _extras()
    assert set(extras["docs"]) <= set(extras["test"])  # CI builds the site as a test


# --- the build --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site into a temporary folder; return (html folder, warnings, seconds)."""
    for module in ("sphinx", "myst_parser", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason=f"{module} is missing: pip install -e '.[docs]'")
    src = tmp_path_factory.mktemp("docs-src")
    ignore = shutil.ignore_patterns(
        "_build", "generated", "auto_examples", "sg_execution_times.rst", "img", "__pycache__"
    )
    for folder in ("docs", "examples"):
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    for name in ("README.md", "BENCHMARKS.md", "RELIABILITY.md"):
        shutil.copy(ROOT / name, src / name)
    (src / "benchmarks").mkdir()
    for png in (ROOT / "benchmarks").glob("*.png"):
        shutil.copy(png, src / "benchmarks" / png.name)
    html = src / "html"
    env = dict(os.environ, MPLBACKEND="agg", PYTHONWARNINGS="")
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q"]
    start = time.perf_counter()
    done = subprocess.run(
        [*cmd, str(src / "docs"), str(html)], capture_output=True, text=True, env=env
    )
    seconds = time.perf_counter() - start
    warnings = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)
    ]
    if done.returncode and not warnings:  # Sphinx stopped: say why
        warnings = ["sphinx-build failed:", *(done.stdout + done.stderr).splitlines()[-15:]]
    print(f"documentation site built in {seconds:.1f} s, {len(warnings)} warnings")
    return html, warnings, seconds


def test_site_builds_without_warnings(site):
    _, warnings, _ = site
    assert not warnings, "sphinx-build -W reported:\n" + "\n".join(warnings)


def test_site_has_every_page_and_every_gallery_figure(site):
    html, _, _ = site
    for page in ("index", "getting-started", "applications", "api", "scikit-learn"):
        assert (html / f"{page}.html").is_file(), page
    for page in (*APPLICATION_PAGES, "benchmarks", "reliability", "design"):
        assert (html / f"{page}.html").is_file(), page
    assert len(EXAMPLES) >= 8
    for name in EXAMPLES:
        page = (html / "auto_examples" / f"{name}.html").read_text()
        figures = re.findall(rf'<img src="([^"]*/sphx_glr_{name}_\d+\.png)"', page)
        assert figures, f"the gallery example {name} drew no figure"
        for png in figures:
            assert (html / "auto_examples" / png).stat().st_size > 1000, png
    # every image of every page is in the site (the browser test looks at a few pages only)
    missing = []
    for page in html.rglob("*.html"):
        for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', page.read_text()):
            if not src.startswith(("data:", "http:", "https:")):
                if not (page.parent / src.split("#")[0]).is_file():
                    missing.append(f"{page.relative_to(html)}: {src}")
    assert not missing, "\n".join(missing)
    benchmarks = (html / "benchmarks.html").read_text()
    assert "<table" in benchmarks and "<img" in benchmarks  # BENCHMARKS.md's tables and plots


def test_api_reference_has_every_public_name(site):
    html, _, _ = site
    api = (ROOT / "docs" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w[\w.]*)$", api, flags=re.M))
    public = set(nmfkit.__all__) - {"__version__"}
    assert public <= listed, f"not in docs/api.rst: {sorted(public - listed)}"
    for name in sorted(public):
        assert (html / "generated" / f"nmfkit.{name}.html").is_file(), name
    for module in ("plot", "metrics", "images", "datasets"):
        for name in __import__(f"nmfkit.{module}", fromlist=["__all__"]).__all__:
            assert (html / "generated" / f"nmfkit.{module}.{name}.html").is_file(), name


# --- the browser ------------------------------------------------------------------------


def _topic_report(folder):
    """An HTML topic report from ``nmfkit topics`` on a small generated corpus."""
    from nmfkit.cli import main

    themes = [
        "orbit rocket launch nasa shuttle moon astronaut satellite",
        "pasta tomato basil garlic recipe oven cheese sauce",
        "guitar melody chord drummer concert album singer rhythm",
    ]
    rng = np.random.default_rng(0)
    rows = [
        f"{t.split()[0]} note {i}\t{' '.join(rng.choice(t.split(), 8))}"
        for t in themes
        for i in range(30)
    ]
    corpus = folder / "corpus.tsv"  # a title column: the report names documents by it
    corpus.write_text("title\ttext\n" + "\n".join(rows) + "\n")
    report = folder / "report.html"
    argv = ["topics", str(corpus), "-k", "3", "--min-df", "1", "--report", str(report)]
    assert main(argv) == 0
    return report


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(site):
    """The built site (and the topic report beside it) on a local HTTP server."""
    html, _, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = os.environ.get("NMFKIT_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


WAIT_FOR_IMAGES = """async () => {
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map(img => img.complete ? null :
        new Promise(done => { img.onload = img.onerror = done; })));
    return [...document.images].filter(img => img.naturalWidth === 0).map(img => img.src);
}"""


def _render(browser, url, screenshot):
    """Load url; return (problems, headings, number of images) and save a screenshot."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    # nothing from outside: CI has no network, and a page must not need one
    local = url.split("/")[2]
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.split("/")[2] == local
            else (problems.append(f"external request: {route.request.url}"), route.abort())
        ),
    )
    page.goto(url, wait_until="networkidle")
    broken = page.evaluate(WAIT_FOR_IMAGES)
    problems += [f"image not loaded: {src}" for src in broken]
    headings = [h.strip() for h in page.locator("h1, h2").all_inner_texts()]
    n_images = page.evaluate("document.images.length")
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return problems, headings, n_images


@pytest.mark.parametrize(
    "page, heading, min_images",
    [
        ("index.html", "nmfkit", 0),
        ("auto_examples/plot_topics.html", "Topics of documents", 1),
        ("auto_examples/index.html", "Gallery", len(EXAMPLES)),
        ("report.html", "Topic 0", 0),
    ],
)
def test_pages_render_in_a_browser(browser, served, screenshots, page, heading, min_images):
    html, url = served
    if page == "report.html" and not (html / page).exists():
        _topic_report(html)  # served beside the site
    problems, headings, n_images = _render(
        browser, f"{url}/{page}", screenshots / (page.replace("/", "_").replace(".html", ".png"))
    )
    assert not problems, "\n".join(problems)
    assert any(heading in h for h in headings), f"no heading '{heading}' in {headings}"
    assert n_images >= min_images
