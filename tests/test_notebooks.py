"""The teaching notebooks: stored with their outputs, and run end to end at tiny sizes.

The stored notebooks hold the outputs ``notebooks/store_outputs.py`` made at its
showcase sizes (GitHub shows them): pictures, no errors, no path of the machine that
made them, a small file, execution counts in order.

Each notebook is also executed by a real Jupyter kernel (nbclient), papermill style: a
cell overriding the ``parameters`` cell's values is inserted right after it, the kernel
runs in the notebook's directory (so ``../tf_style/data`` resolves) and imports
``tf_style`` from this checkout (``PYTHONPATH``). Any cell error fails the test.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import io
import json
import os
import re
import signal
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.conftest import ROOT, SHARED, STOP_SIGNALS

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb"))
TFLITE_DIR = SHARED / "models" / "magenta_arbitrary_stylization"
CELL_TIMEOUT_S = 600
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def load_store_outputs():
    """notebooks/store_outputs.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "store_outputs", NOTEBOOK_DIR / "store_outputs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STORE = load_store_outputs()

# Tiny settings per notebook; every notebook must have an entry.
TINY_PARAMETERS: dict[str, dict[str, object]] = {
    "01_neural_style_transfer.ipynb": {
        "MAX_DIM": 48,
        "EPOCHS": 1,
        "STEPS_PER_EPOCH": 3,
        "STUDIO": False,  # the last cell would serve the studio: not here
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

# Run with TensorFlow's functions eager: at these sizes a run is mostly the tracing
# of its step, and these notebooks start many runs (03 about thirty). Their cells
# define no tf.function: they call the library, whose compiled paths the other tests
# run. One process, load 1-3, 2-core AMD EPYC: 03 84 -> 55 s, 04 46 -> 34 s, 02's
# two runs 39 -> 31 s. Notebook 01 (the tutorial's train step, step by step) runs
# compiled, as a reader runs it, and 05 too (29 -> 28 s: its time is not tracing).
EAGER_NOTEBOOKS = {
    "02_fast_vs_slow.ipynb",
    "03_exploring_the_knobs.ipynb",
    "04_fast_networks.ipynb",
}
EAGER_SOURCE = "import tensorflow as tf\ntf.config.run_functions_eagerly(True)"


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
    if name in EAGER_NOTEBOOKS:
        injected += "\n" + EAGER_SOURCE
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
    # nbclient sets Ctrl-C's and SIGTERM's handlers for the run and then resets
    # them to Python's defaults, not to what they were: a suite started with
    # SIGINT ignored (a background job) would find them changed.
    handlers = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        client.execute(env=env)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    stdout = "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.get("name") == "stdout"
    )
    python, package = (Path(line).resolve() for line in stdout.split())
    assert python == Path(sys.executable).resolve(), python
    assert package == (ROOT / "tf_style" / "__init__.py").resolve(), package
    return notebook


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [output for cell in code_cells(notebook) for output in cell.outputs]


def test_every_notebook_has_tiny_and_showcase_parameters():
    assert NOTEBOOKS, "no notebooks found"
    assert set(NOTEBOOKS) == set(TINY_PARAMETERS)
    assert set(NOTEBOOKS) == set(STORE.SHOWCASE)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_starts_with_a_tagged_parameters_cell(name):
    notebook = read_notebook(name)
    assert parameters_cell_index(notebook) == 0
    names = assigned_names(notebook.cells[0].source)
    for settings in (TINY_PARAMETERS[name], STORE.SHOWCASE[name]):
        overridden = set(settings)
        assert overridden <= names, f"not parameters of {name}: {overridden - names}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_shows_pictures(name):
    pictures = [
        output
        for output in outputs(read_notebook(name))
        if any(mime in output.get("data", {}) for mime in IMAGE_TYPES)
    ]
    assert pictures, f"{name} is stored without a picture: run store_outputs.py"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_has_no_errors(name):
    for index, cell in enumerate(read_notebook(name).cells):
        kinds = [output.output_type for output in cell.get("outputs", [])]
        assert "error" not in kinds, f"cell {index} stored an error"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_names_no_machine_path(name):
    """Sources, text outputs and metadata (pictures left out, whose base64 could
    spell anything) name no path of the machine that ran the notebook."""
    notebook = read_notebook(name)
    texts = [json.dumps(notebook.metadata)]
    for cell in notebook.cells:
        texts += [cell.source, json.dumps(cell.metadata)]
        texts += [STORE.text_of(output) for output in cell.get("outputs", [])]
    for text in texts:
        found = re.search(r"/(?:work|tmp|root|home)/\S*", text)
        assert found is None, f"{name} names {found.group()}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_is_small(name):
    size = (NOTEBOOK_DIR / name).stat().st_size
    assert size <= STORE.SIZE_LIMIT, f"{name}: {size:,} bytes"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_ran_in_order_and_whole(name):
    """Counts 1, 2, ... with no cell skipped; nothing of the run that made it
    (inserted cells, timings, widget state) is left."""
    notebook = read_notebook(name)
    cells = code_cells(notebook)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), counts
    for cell in cells:
        assert "execution" not in cell.metadata
        assert STORE.INJECTED_TAG not in cell.metadata.get("tags", [])
        for output in cell.outputs:
            if output.output_type == "execute_result":
                assert output.execution_count == cell.execution_count
    assert "widgets" not in notebook.metadata


def test_store_outputs_shows_paths_as_a_reader_would(tmp_path):
    output_dir = tmp_path / "05_video"  # the notebook's OUTPUT_DIR in this run
    temporary = Path(tempfile.gettempdir())
    lines = {
        f"{output_dir}/flow/video.mp4": "outputs/05_video/flow/video.mp4",
        f"{NOTEBOOK_DIR}/outputs/a.png": "outputs/a.png",
        f"{ROOT}/tf_style/data/chelsea.png": "../tf_style/data/chelsea.png",
        f"{ROOT}/tmpfiles": "../tmpfiles",  # /tmp only as a whole component
        f"{SHARED}/models/m": "../../shared/models/m",
        f"{temporary}/tfhub_modules": "<tmp>/tfhub_modules",
    }
    output = nbformat.v4.new_output(
        "stream", name="stdout", text="\n".join(lines) + "\n"
    )
    STORE.clean_text(output, STORE.machine_paths(output_dir, "outputs/05_video"))
    assert output.text.splitlines() == list(lines.values())


def test_store_outputs_drops_start_up_log_and_joins_prints():
    stream = nbformat.v4.new_output
    joined = STORE.joined_streams(
        [
            stream("stream", name="stderr", text=(
                "WARNING: All log messages before absl::InitializeLog() is called "
                "are written to STDERR\n"
                "I0000 00:00:1796617842.018530   32380 cudart_stub.cc:31] Could not "
                "find cuda drivers on your machine, GPU will not be used.\n"
            )),
            stream("stream", name="stdout", text="independent: 1 "),
            stream("stream", name="stdout", text="2\n"),
            stream("stream", name="stderr", text="UserWarning: a real one\n"),
        ]
    )  # fmt: skip
    assert [(output.name, output.text) for output in joined] == [
        ("stdout", "independent: 1 2\n"),
        ("stderr", "UserWarning: a real one\n"),
    ]


def test_store_outputs_stores_a_large_png_as_a_smaller_jpeg():
    from PIL import Image

    noise = np.random.default_rng(0).integers(0, 256, (300, 2000, 4), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise, "RGBA").save(buffer, format="PNG")
    output = nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(buffer.getvalue()).decode()}
    )
    STORE.shrink_pictures(output, quality=70, width=900)
    assert list(output.data) == ["image/jpeg"]
    jpeg = base64.b64decode(output.data["image/jpeg"])
    assert len(jpeg) < len(buffer.getvalue())
    with Image.open(io.BytesIO(jpeg)) as picture:
        assert picture.size == (900, 135)


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
