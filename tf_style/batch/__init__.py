"""Many images: a folder, a glob or frames, through the one pipeline in groups."""

from tf_style.batch.stylize_many import stylize_many

__all__ = ["stylize_many"]
