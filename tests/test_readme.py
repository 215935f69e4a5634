"""The README's two set-up commands, and CI running the test one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    demo, tests = setup_commands()
    assert demo == "pip install -e . && nmfkit demo"
    assert tests.startswith('pip install -e ".[test]"') and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = setup_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines
