"""The words around the code stay true to it.

* every ``:func:``/``:mod:``/``:class:``... cross-reference in a docstring names
  something that imports;
* the README's Layout names every subpackage and top-level module, and nothing else;
* every ```python block of the README and ``docs/*.md`` compiles, and a block that
  is meant to run as written uses no name it does not define or import;
* the modules, functions and classes the notebooks and docs name exist.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tf_style
from tests.conftest import ROOT

PACKAGE = ROOT / "tf_style"
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(tf_style.__path__, prefix="tf_style.")
)


def resolve(dotted: str) -> object:
    """The object ``dotted`` names: the longest importable module, then attributes.

    Raises:
        ImportError, AttributeError: nothing by that name.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as error:
            # Only "this module does not exist" moves on; a module that exists but
            # fails to import is an error in its own right.
            if error.name is None or not ".".join(parts[:cut]).startswith(error.name):
                raise
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(f"no module in {dotted!r} imports")


def resolves(dotted: str) -> bool:
    try:
        resolve(dotted)
    except (ImportError, AttributeError):
        return False
    return True


# --- docstring cross-references ----------------------------------------------------

ROLE = re.compile(r":(?:func|mod|class|meth|data|attr|exc|obj|const):`~?([^`<>\s]+)`")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scopes(module: str, path: Path) -> list[str]:
    """Where a relative reference in ``module`` may point: itself, then outwards."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = [module]
    while package:
        found.append(package)
        package = package.rpartition(".")[0]
    return found


def relative_target_exists(target: str, module: str, path: Path) -> bool:
    """``.name`` or ``name``: found in the module, a package above it, or a class."""
    name = target.lstrip(".")
    if any(resolves(f"{scope}.{name}") for scope in scopes(module, path)):
        return True
    if "." in name and not target.startswith(".") and resolves(name):
        return True  # a standard-library or third-party name: pickletools.genops
    if importlib.util.find_spec(name.partition(".")[0]) and resolves(name):
        return True
    # A bare method or attribute name inside a class's docstring: some class of the
    # module has it.
    namespace = vars(importlib.import_module(module))
    return any(
        isinstance(value, type)
        and resolves(f"{value.__module__}.{value.__qualname__}")
        and hasattr(value, name.split(".")[0])
        for value in namespace.values()
    )


def broken_cross_references() -> list[str]:
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for target in ROLE.findall(line):
                if target.startswith("tf_style.") or target == "tf_style":
                    ok = resolves(target)  # absolute: strictly what it says
                else:
                    ok = relative_target_exists(target, module, path)
                if not ok:
                    broken.append(f"{path.relative_to(ROOT)}:{number}: {target}")
    return broken


def test_docstring_cross_references_resolve():
    broken = broken_cross_references()
    assert not broken, "cross-references to nothing:\n" + "\n".join(broken)


def test_the_resolver_tells_a_broken_reference():
    assert resolves("tf_style.optimize.driver.stylize_batch")
    assert not resolves("tf_style.optimize.stylize_batch_typo")
    assert not resolves("tf_style.no_such_module")


# --- the README's Layout -----------------------------------------------------------


def layout_section() -> str:
    text = README.read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```\n(.*?)```", section, flags=re.S).group(1)


def named_in_layout() -> set[str]:
    """The package's modules and subpackages the Layout names, dotted.

    Each entry is a line ``  names  description``: the names (``config/`` a
    subpackage, ``shapes.py`` a module) before two spaces, then what they do; deeper
    indented lines continue the description. A ``module.py`` in the description of
    an entry that names one subpackage alone is that subpackage's module
    (``optimize/  driver.py ...``).
    """
    names, folder = set(), None
    for line in layout_section().splitlines()[1:]:  # under "tf_style/"
        if line.startswith("   "):
            described = line
        else:
            entry, _, described = line.strip().partition("  ")
            tokens = entry.split()
            names.update(dotted(token) for token in tokens)
            alone = len(tokens) == 1 and tokens[0].endswith("/")
            folder = tokens[0].strip("/") if alone else None
        for token in re.findall(r"[\w/]+\.py\b", described):
            inside = folder and "/" not in token
            names.add(dotted(f"{folder}/{token}" if inside else token))
    return names


def dotted(token: str) -> str:
    """``optimize/`` -> ``tf_style.optimize``; ``fit/command.py`` -> its module."""
    return "tf_style." + token.removesuffix(".py").strip("/").replace("/", ".")


def top_level_modules() -> set[str]:
    """Subpackages and modules directly under tf_style/ (private ones included)."""
    return {f"tf_style.{info.name}" for info in pkgutil.iter_modules(tf_style.__path__)}


def test_the_layout_names_every_subpackage_and_top_level_module():
    missing = top_level_modules() - named_in_layout()
    assert not missing, f"README's Layout does not name: {sorted(missing)}"


def test_every_module_the_layout_names_exists():
    absent = {name for name in named_in_layout() if name not in MODULES}
    assert not absent, f"README's Layout names modules that do not exist: {absent}"


# --- Python snippets in the README and docs ----------------------------------------

SNIPPET = re.compile(r"```python\n(.*?)```", flags=re.S)


def snippets() -> list[tuple[str, str]]:
    found = []
    for path in [README, *DOCS]:
        for number, block in enumerate(SNIPPET.findall(path.read_text()), 1):
            found.append((f"{path.relative_to(ROOT)}#{number}", block))
    return found


def runnable(block: str) -> bool:
    """A block meant to run as written: no ``...`` placeholder in it.

    Other blocks (``stylize(content, ...)``) are sketches: they must compile only.
    """
    return "..." not in block


SNIPPETS = snippets()


def test_the_docs_have_python_snippets():
    assert len(SNIPPETS) >= 4
    assert any(name.startswith("README.md") for name, _ in SNIPPETS)


@pytest.mark.parametrize(("name", "block"), SNIPPETS, ids=[n for n, _ in SNIPPETS])
def test_every_python_snippet_compiles(name, block):
    compile(block, name, "exec")


RUFF = shutil.which("ruff") or str(Path(__import__("sys").executable).parent / "ruff")


@pytest.mark.parametrize(
    ("name", "block"),
    [(n, b) for n, b in SNIPPETS if runnable(b)],
    ids=[n for n, b in SNIPPETS if runnable(b)],
)
def test_every_runnable_snippet_defines_what_it_uses(name, block):
    """No undefined name (F821) and no unused import (F401), by ruff."""
    if not Path(RUFF).exists():
        pytest.skip("ruff is not installed")
    checked = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "F821,F401", "--stdin-filename",
         f"{name.replace('#', '_').replace('/', '_')}.py", "-"],
        input=block, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, f"{name}:\n{block}\n{checked.stdout}"


def test_the_snippet_check_catches_an_undefined_name():
    if not Path(RUFF).exists():
        pytest.skip("ruff is not installed")
    checked = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "F821", "-"],
        input="import tf_style\n\ntf_style.stylize(content, style)\n",
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 1 and "content" in checked.stdout


# --- names the notebooks and docs mention ------------------------------------------


def mentioned_names() -> list[tuple[str, str]]:
    """Every dotted ``tf_style.x.y`` in the README, docs and notebooks' cells."""
    found = set()
    for path in [README, *DOCS, *NOTEBOOKS]:
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text())["cells"]
            text = "\n".join("".join(cell["source"]) for cell in cells)
        else:
            text = path.read_text()
        for dotted in re.findall(r"\btf_style(?:\.[A-Za-z_]\w*)+", text):
            found.add((path.name, dotted))
    return sorted(found)


def test_every_tf_style_name_the_docs_and_notebooks_mention_exists():
    absent = [f"{where}: {dotted}" for where, dotted in mentioned_names()
              if not resolves(dotted)]  # fmt: skip
    assert not absent, "names that do not import:\n" + "\n".join(absent)


# --- the licence ---------------------------------------------------------------------


def test_the_licence_is_the_one_the_metadata_names_and_ships():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    setup = (ROOT / "setup.cfg").read_text()
    assert "license = Apache-2.0" in setup
    assert re.search(r"^license_files = .*\bLICENSE\b", setup, flags=re.M)


def test_the_options_reference_is_the_parsers_own():
    """docs/options.md is generated from the commands' parsers; regenerate it with
    ``python docs/make_options.py > docs/options.md``."""
    spec = importlib.util.spec_from_file_location(
        "make_options", ROOT / "docs" / "make_options.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    options_markdown = module.options_markdown
    written = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    assert written == options_markdown(), "docs/options.md is stale: regenerate it"
