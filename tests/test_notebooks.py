"""The teaching notebooks: committed clean, and run end to end at tiny sizes.

Each notebook is executed by a real Jupyter kernel (nbclient), papermill style: a cell
overriding the ``parameters`` cell's values is inserted right after it, the kernel runs
in the notebook's directory (so ``../tf_style/data`` resolves) and imports ``tf_style``
from this checkout (``PYTHONPATH``). Any cell error fails the test.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT, SHARED

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb"))
TFLITE_DIR = SHARED / "models" / "magenta_arbitrary_stylization"
CELL_TIMEOUT_S = 600

# Tiny settings per notebook; every notebook must have an entry.
TINY_PARAMETERS: dict[str, dict[str, object]] = {
    "01_neural_style_transfer.ipynb": {
        "MAX_DIM": 48,
        "EPOCHS": 1,
        "STEPS_PER_EPOCH": 3,
    },
    "02_fast_vs_slow.ipynb": {
        "MAX_DIM": 48,
        "EPOCHS": 1,
        "STEPS_PER_EPOCH": 3,
    },
    "03_exploring_the_knobs.ipynb": {
        "MAX_DIM": 40,
        "STEPS": 2,
        "STEP_SNAPSHOTS": (1, 3),
        "SIZES": (40, 48),
        "LBFGS_STEPS": 2,
        "SECOND_STYLE_PATH": str(ROOT / "assets" / "the_scream.jpg"),
    },
    "04_fast_networks.ipynb": {
        "IMAGE_SIZE": 32,
        "STEPS": 4,
        "BATCH_SIZE": 2,
        "WIDTH": 4,
        "OPTIMISATION_STEPS": 2,
        "ADAIN_STEPS": 1,
    },
    "05_video.ipynb": {
        "MAX_DIM": 48,
        "FRAMES": 3,
        "STEPS": 2,
    },
}


def read_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def parameters_cell_index(notebook: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(notebook.cells):
        if "parameters" in cell.metadata.get("tags", []):
            return index
    raise AssertionError("no cell tagged 'parameters'")


def assigned_names(source: str) -> set[str]:
    return {
        target.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def execute(name: str, parameters: dict[str, object]) -> nbformat.NotebookNode:
    """Run a notebook with ``parameters`` injected; return it with its outputs."""
    from nbclient import NotebookClient

    notebook = read_notebook(name)
    injected = "# Injected by tests/test_notebooks.py\n" + "\n".join(
        f"{key} = {value!r}" for key, value in parameters.items()
    )
    notebook.cells.insert(
        parameters_cell_index(notebook) + 1,
        nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]}),
    )
    # Last, a check that the kernel ran this Python and this checkout's package.
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import sys\nimport tf_style\n"
            "print(sys.executable)\nprint(tf_style.__file__)"
        )
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",  # jupyter_client swaps a bare "python" for ours
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute(env=env)
    stdout = "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.get("name") == "stdout"
    )
    python, package = (Path(line).resolve() for line in stdout.split())
    assert python == Path(sys.executable).resolve(), python
    assert package == (ROOT / "tf_style" / "__init__.py").resolve(), package
    return notebook


def test_every_notebook_has_tiny_parameters():
    assert NOTEBOOKS, "no notebooks found"
    assert set(NOTEBOOKS) == set(TINY_PARAMETERS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_starts_with_a_tagged_parameters_cell(name):
    notebook = read_notebook(name)
    assert parameters_cell_index(notebook) == 0
    names = assigned_names(notebook.cells[0].source)
    overridden = set(TINY_PARAMETERS.get(name, {}))
    assert overridden <= names, f"not parameters of {name}: {overridden - names}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    for index, cell in enumerate(read_notebook(name).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has a count"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if not n.startswith("02_")])
def test_notebook_runs_end_to_end(name, tmp_path):
    execute(name, {**TINY_PARAMETERS[name], "OUTPUT_DIR": str(tmp_path)})
    assert any(tmp_path.iterdir()), "the notebook saved nothing"


@pytest.mark.slow
@pytest.mark.parametrize("fast_model", ["tflite", "missing"])
def test_fast_vs_slow_runs_with_and_without_the_tflite_pair(fast_model, tmp_path):
    """Offline by design: the Hub handle is a missing local copy, never the URL."""
    if fast_model == "tflite" and not TFLITE_DIR.is_dir():
        pytest.skip(f"no TensorFlow Lite pair in {TFLITE_DIR}")
    output_dir = tmp_path / "compare"
    name = "02_fast_vs_slow.ipynb"
    execute(
        name,
        {
            **TINY_PARAMETERS[name],
            "HUB_HANDLE": str(tmp_path / "no_such_saved_model"),
            "TFLITE_DIR": str(
                TFLITE_DIR if fast_model == "tflite" else tmp_path / "no_models"
            ),
            "OUTPUT_DIR": str(output_dir),
        },
    )
    assert (output_dir / "comparison.png").is_file()
    assert (output_dir / "optimization.png").is_file()
    assert (output_dir / "fast.png").is_file() == (fast_model == "tflite")
