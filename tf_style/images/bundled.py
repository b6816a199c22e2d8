"""The pictures that ship inside the package: the tutorial's defaults, from a wheel too.

``tf_style.bundled_image("content")`` is the tutorial's cat photo and
``bundled_image("style")`` its Van Gogh, wherever the package is installed
(``importlib.resources``: not a path into a source checkout, which a wheel lacks).
Their licences are in the folder's SOURCES.md.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

# role -> the file the commands and notebooks use when none is given
BUNDLED = {"content": "chelsea.png", "style": "starry_night.jpg"}
_PICTURE_SUFFIXES = (".png", ".jpg")


def bundled_folder() -> Path:
    """The package-data folder that holds the bundled pictures."""
    return Path(str(importlib.resources.files("tf_style") / "data"))


def bundled_images() -> dict[str, Path]:
    """Every bundled picture by file name (``{"chelsea.png": Path(...), ...}``)."""
    folder = bundled_folder()
    return {
        path.name: path
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in _PICTURE_SUFFIXES
    }


def bundled_image(name: str = "content") -> Path:
    """The path of one bundled picture.

    Args:
        name: a role (``"content"``, ``"style"``), a file name (``"chelsea.png"``)
            or its stem (``"chelsea"``).

    Raises:
        ValueError: no bundled picture has that name (the message lists them).
        FileNotFoundError: the package data is missing (a broken install).
    """
    pictures = bundled_images() if bundled_folder().is_dir() else {}
    wanted = BUNDLED.get(name, name)
    for file_name, path in pictures.items():
        if wanted in (file_name, Path(file_name).stem):
            return path
    if not pictures:
        raise FileNotFoundError(
            f"tf_style's bundled pictures are missing ({bundled_folder()}): "
            "reinstall the package."
        )
    names = ", ".join(["content", "style", *pictures])
    raise ValueError(f"no bundled picture is called {name!r}; choose one of: {names}.")


__all__ = ["BUNDLED", "bundled_folder", "bundled_image", "bundled_images"]
