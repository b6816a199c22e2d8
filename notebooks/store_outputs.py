"""Run the teaching notebooks at showcase sizes and store them with their outputs.

    .venv/bin/python notebooks/store_outputs.py                  # every notebook
    .venv/bin/python notebooks/store_outputs.py 05_video.ipynb   # the ones named

GitHub shows the outputs stored in a notebook, so the notebooks are committed
executed, with pictures, at a size that keeps each file small (:data:`SIZE_LIMIT`).
Each notebook runs in a real Jupyter kernel (nbclient), in this folder, with the
values of :data:`SHOWCASE` set by a cell inserted after its parameters cell, and a
first cell that makes matplotlib's figures small JPEGs. Both cells are removed
before the notebook is written back: the stored parameters cell is the one a reader
runs, and a note under it (tagged ``showcase-note``) names the values the stored
outputs were made with where they differ from it.

Before writing, the outputs are cleaned: this machine's paths become the paths a
reader would see (the checkout as ``..``, the notebook's temporary output folder as
its ``OUTPUT_DIR``, other temporary files as ``<tmp>``), and a path that is left
(``/work/``, ``/tmp/``, ``/root/``, ``/home/``) stops the script; TensorFlow's
start-up log lines (timestamped, of no use to a reader) and tqdm's note that
ipywidgets is missing are dropped, and a cell's printed lines joined; the execution
counts are renumbered from 1; nbclient's timings, the kernel's details and any
widget state are dropped (the notebook's own metadata is kept). A PNG over
:data:`PICTURE_LIMIT` bytes is stored as a JPEG, and the pictures are made narrower
and coarser (:data:`PICTURE_STEPS`) until the file fits :data:`SIZE_LIMIT`. An error
in a cell, a path left, or a file still too large leaves the stored notebook as it
was.

tests/test_notebooks.py checks what is stored (pictures, no errors, no paths, the
size, the counts) and still runs every notebook end to end at tiny sizes.
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent
ROOT = NOTEBOOK_DIR.parent
TFLITE_DIR = ROOT.parent / "shared" / "models" / "magenta_arbitrary_stylization"

# Showcase settings per notebook: each runs in a few minutes on a 2-core CPU and
# still shows what its text describes. Only the names given here change.
SHOWCASE: dict[str, dict[str, object]] = {
    "01_neural_style_transfer.ipynb": {
        "MAX_DIM": 192,
        "EPOCHS": 1,
        "STEPS_PER_EPOCH": 100,
        "TV_WEIGHT": 1700.0,  # the default 3000 at 256 px, scaled by the pixels
        "STUDIO": False,  # a server in the kernel, nothing to store
    },
    "02_fast_vs_slow.ipynb": {
        "MAX_DIM": 192,
        "EPOCHS": 1,
        "STEPS_PER_EPOCH": 150,
    },
    "03_exploring_the_knobs.ipynb": {
        "MAX_DIM": 128,
        "STEPS": 60,
        "STEP_SNAPSHOTS": (10, 30, 120),
        "SIZES": (96, 128, 192),
        "LBFGS_STEPS": 25,
    },
    "04_fast_networks.ipynb": {
        "IMAGE_SIZE": 96,
        "STEPS": 200,
        "OPTIMISATION_STEPS": 60,
        "ADAIN_STEPS": 10,
    },
    "05_video.ipynb": {},  # its defaults are showcase-sized
}
# Magenta's TensorFlow Lite pair, for the notebooks that compare with it, where
# this machine has it (the path as the notebooks name it: from this folder).
if TFLITE_DIR.is_dir():
    for _name in ("02_fast_vs_slow.ipynb", "04_fast_networks.ipynb"):
        SHOWCASE[_name]["TFLITE_DIR"] = os.path.relpath(TFLITE_DIR, NOTEBOOK_DIR)

SIZE_LIMIT = 400_000  # bytes per stored notebook
PICTURE_LIMIT = 30_000  # a PNG larger than this is stored as a JPEG
JPEG_QUALITY = 70  # matplotlib's figures' JPEG quality
# (JPEG quality, most pixels wide) of the pictures stored, best first: the first
# that keeps the notebook under SIZE_LIMIT is used (GitHub shows about 900 px).
PICTURE_STEPS = (
    (70, 900), (60, 900), (50, 860), (45, 800), (40, 800), (40, 720), (35, 640),
)  # fmt: skip
CELL_TIMEOUT_S = 1800
# Paths of a machine that must never be stored.
MACHINE_PATH = re.compile(r"/(?:work|tmp|root|home)/")
INJECTED_TAG = "injected-by-store-outputs"
NOTE_TAG = "showcase-note"

# Matplotlib's figures as JPEGs at 72 dots per inch (the inline backend's size).
FIGURE_KWARGS = {
    "bbox_inches": "tight",
    "dpi": 72,
    "pil_kwargs": {"quality": JPEG_QUALITY},
}
FIGURE_SETUP = (
    '%config InlineBackend.figure_formats = ["jpeg"]\n'
    f"%config InlineBackend.print_figure_kwargs = {FIGURE_KWARGS!r}"
)


def parameters_cell_index(notebook: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(notebook.cells):
        if "parameters" in cell.metadata.get("tags", []):
            return index
    raise ValueError("no cell tagged 'parameters'")


def defaults(notebook: nbformat.NotebookNode) -> dict[str, object]:
    """The literal values the parameters cell assigns."""
    source = notebook.cells[parameters_cell_index(notebook)].source
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return values


def assignments(values: dict[str, object]) -> str:
    return "\n".join(f"{key} = {value!r}" for key, value in values.items())


def kernel_env() -> dict[str, str]:
    """This checkout's package on the kernel's path; TensorFlow's start-up quiet."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


def execute(name: str, output_dir: Path) -> nbformat.NotebookNode:
    """``name`` run at its showcase settings, its outputs written to ``output_dir``;
    returned with the inserted cells still in (tagged :data:`INJECTED_TAG`)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    notebook.cells = [c for c in notebook.cells if NOTE_TAG not in tags(c)]
    values = {**SHOWCASE[name], "OUTPUT_DIR": str(output_dir)}
    injected = "# Injected by notebooks/store_outputs.py\n" + assignments(values)
    index = parameters_cell_index(notebook)
    notebook.cells.insert(index + 1, injected_cell(injected))
    notebook.cells.insert(0, injected_cell(FIGURE_SETUP))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        record_timing=False,
    )
    client.execute(env=kernel_env())
    return notebook


def injected_cell(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.metadata.get("tags", [])


def store(notebook: nbformat.NotebookNode, name: str, output_dir: Path) -> int:
    """Clean the executed ``notebook`` and write it over ``name``; its size."""
    default_values = defaults(notebook)
    notebook.cells = [c for c in notebook.cells if INJECTED_TAG not in tags(c)]
    changed = {
        key: value
        for key, value in SHOWCASE[name].items()
        if default_values.get(key, object()) != value
    }
    if changed:
        notebook.cells.insert(parameters_cell_index(notebook) + 1, note(changed))
    renumber(notebook)
    replacements = machine_paths(output_dir, str(default_values["OUTPUT_DIR"]))
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = joined_streams(cell.outputs)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                raise RuntimeError(f"{name}: cell {index} stored an error")
            clean_text(output, replacements)
            leftover = MACHINE_PATH.search(text_of(output))
            if leftover:
                raise RuntimeError(
                    f"{name}: cell {index} still names a machine path "
                    f"({leftover.group()}...); add it to machine_paths()"
                )
    # The notebook's own metadata, not the kernel's details (its Python's version)
    stored = nbformat.read(NOTEBOOK_DIR / name, as_version=4).metadata
    notebook.metadata = {k: v for k, v in stored.items() if k != "widgets"}
    for quality, width in PICTURE_STEPS:  # the best pictures that fit
        shrunk = copy.deepcopy(notebook)
        for output in (o for cell in shrunk.cells for o in cell.get("outputs", [])):
            shrink_pictures(output, quality=quality, width=width)
        nbformat.validate(shrunk)
        text = nbformat.writes(shrunk) + "\n"
        size = len(text.encode())
        if size <= SIZE_LIMIT:
            break
    else:
        raise RuntimeError(
            f"{name}: {size:,} bytes stored, over {SIZE_LIMIT:,} even with JPEGs of "
            f"quality {quality} at {width} px; make its showcase smaller (SHOWCASE) "
            "or its figures fewer"
        )
    path = NOTEBOOK_DIR / name
    partial = path.with_name(f".{name}.partial")
    partial.write_text(text)
    partial.replace(path)
    return size


# Lines on stderr that say nothing about the notebook: TensorFlow's C++ start-up
# log (absl's, and glog-style "I0000 00:00:... file.cc:31] ...") and tqdm's warning
# where ipywidgets is not installed (the warning and the line it quotes).
START_UP_LOG = re.compile(
    r"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called.*"
    r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] .*"
    r"|.*TqdmWarning: IProgress not found\..*\n.*from \.autonotebook import .*)\n?",
    re.MULTILINE,
)


def joined_streams(outputs: list) -> list:
    """``outputs`` with TensorFlow's start-up log lines dropped from stderr and
    consecutive prints to one stream joined (as Jupyter shows them)."""
    joined = []
    for output in outputs:
        if output.output_type == "stream":
            text = (
                "".join(output.text) if isinstance(output.text, list) else output.text
            )
            if output.name == "stderr":
                text = START_UP_LOG.sub("", text)
            if not text:
                continue
            previous = joined[-1] if joined else None
            if (
                previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += text
                continue
            output.text = text
        joined.append(output)
    return joined


def note(changed: dict[str, object]) -> nbformat.NotebookNode:
    """The markdown under the parameters cell naming the showcase values."""
    values = ", ".join(f"`{key} = {value!r}`" for key, value in changed.items())
    text = (
        f"*The outputs stored with this notebook were made with {values} "
        "(`notebooks/store_outputs.py`), to keep it quick to run and small to "
        "store; run it to see them at the values above.*"
    )
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [NOTE_TAG]})


def renumber(notebook: nbformat.NotebookNode) -> None:
    """Execution counts 1, 2, ... in the order the stored code cells ran."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if cell.execution_count is None:
            continue  # a cell that did not run (none should)
        count += 1
        cell.execution_count = count
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count


def machine_paths(output_dir: Path, shown_output_dir: str) -> list[tuple[str, str]]:
    """(a pattern of this machine's path, what a reader's run would show), the
    longest path first; a path matches only as whole components (``/tmp`` is not
    the start of ``/tmpfiles``)."""
    pairs = {
        str(output_dir): shown_output_dir,
        str(output_dir.resolve()): shown_output_dir,
        str(NOTEBOOK_DIR) + os.sep: "",
        str(NOTEBOOK_DIR): ".",
        str(ROOT.parent / "shared"): os.path.join("..", "..", "shared"),
        str(ROOT): "..",
        sys.prefix: "<venv>",
        tempfile.gettempdir(): "<tmp>",
        os.path.realpath(tempfile.gettempdir()): "<tmp>",
        str(Path.home()): "~",
    }
    ordered = sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)
    return [(whole_path(path), shown) for path, shown in ordered]


def whole_path(path: str) -> re.Pattern:
    ends = "" if path.endswith(os.sep) else r"(?![\w.-])"
    return re.compile(r"(?<![\w.~-])" + re.escape(path) + ends)


def clean_text(output: nbformat.NotebookNode, replacements) -> None:
    """This machine's paths in the text of ``output`` replaced (see
    :func:`machine_paths`)."""

    def clean(text):
        if isinstance(text, list):
            return [clean(line) for line in text]
        for pattern, shown in replacements:
            text = pattern.sub(shown.replace("\\", "\\\\"), text)
        return text

    if "text" in output:
        output.text = clean(output.text)
    data = output.get("data", {})
    for mime in list(data):
        if mime.startswith("text/"):
            data[mime] = clean(data[mime])


def shrink_pictures(
    output: nbformat.NotebookNode, *, quality: int = JPEG_QUALITY, width: int = 900
) -> None:
    """The pictures of ``output`` as JPEGs of ``quality`` at most ``width`` pixels
    wide, where that makes them smaller (a PNG: where it is over
    :data:`PICTURE_LIMIT` bytes)."""
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            picture = base64.b64decode(data[mime])
            smaller = as_jpeg(picture, mime, quality=quality, width=width)
            if smaller is not None:
                del data[mime]
                data["image/jpeg"] = base64.b64encode(smaller).decode("ascii")
                output.get("metadata", {}).pop(mime, None)


def as_jpeg(picture: bytes, mime: str, *, quality: int, width: int) -> bytes | None:
    """``picture`` (PNG or JPEG) as a JPEG (on white) at most ``width`` wide, or
    None where that is not needed (a PNG of at most :data:`PICTURE_LIMIT` bytes, a
    JPEG as narrow and as good) or not smaller."""
    from PIL import Image

    if mime == "image/png" and len(picture) <= PICTURE_LIMIT:
        return None
    with Image.open(io.BytesIO(picture)) as opened:
        if mime == "image/jpeg" and opened.width <= width and quality >= JPEG_QUALITY:
            return None
        opened = opened.convert("RGBA")
        page = Image.new("RGB", opened.size, "white")
        page.paste(opened, mask=opened.getchannel("A"))
    if page.width > width:
        height = round(page.height * width / page.width)
        page = page.resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=quality, optimize=True)
    jpeg = buffer.getvalue()
    return jpeg if len(jpeg) < len(picture) else None


def text_of(output: nbformat.NotebookNode) -> str:
    """Every text an output shows (its pictures left out)."""
    parts = [output.get("text", "")]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            parts.append(value if isinstance(value, str) else str(value))
    parts.extend(output.get("traceback", []))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help="notebooks to run (default: every one in SHOWCASE)"
    )
    names = parser.parse_args(argv).names or sorted(SHOWCASE)
    unknown = [name for name in names if name not in SHOWCASE]
    if unknown:
        parser.error(f"no showcase settings for {', '.join(unknown)}")
    failed = 0
    for name in names:
        started = time.perf_counter()
        values = ", ".join(f"{k} = {v!r}" for k, v in SHOWCASE[name].items())
        print(f"{name}: running with {values or 'its defaults'}", flush=True)
        try:
            with tempfile.TemporaryDirectory(prefix="showcase-") as folder:
                output_dir = Path(folder) / Path(name).stem
                notebook = execute(name, output_dir)
                size = store(notebook, name, output_dir)
        except Exception as error:  # noqa: BLE001 - one notebook's failure, reported
            failed += 1
            print(f"{name}: not stored: {type(error).__name__}: {error}", flush=True)
            continue
        seconds = time.perf_counter() - started
        print(f"{name}: stored, {size / 1000:.0f} KB, {seconds:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
