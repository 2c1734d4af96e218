"""The product's command line is the product's: the benchmark is neither listed nor imported."""

from __future__ import annotations

import ast
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_flask_help_lists_no_bench_command(app):
    result = app.test_cli_runner().invoke(args=["--help"])

    assert result.exit_code == 0, result.output
    assert "seed-demo" in result.output  # the product's own commands are there
    assert "bench" not in result.output
    assert "seed-bench" not in result.output


def test_no_module_of_the_app_imports_the_benchmark():
    offenders = {
        str(path.relative_to(APP_DIR.parent)): module
        for path in APP_DIR.rglob("*.py")
        for module in imported_modules(path)
        if module == "bench" or module.startswith(("bench.", "app.bench"))
    }

    assert offenders == {}
    assert not (APP_DIR / "bench").exists()
