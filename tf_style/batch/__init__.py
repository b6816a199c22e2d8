"""Many images: batched losses, batch optimisation, resumable folder runs, frames.

One optimisation per image wastes the hardware; same-sized images are optimised
together as one ``[B, H, W, 3]`` variable whose loss is the sum of per-image losses,
so with Adam each image gets exactly the update it would get alone.
"""

from tf_style.batch.loss import BatchStyleContentLoss, per_image_terms
from tf_style.batch.stylize_many import BatchTransfer, stylize_many

__all__ = ["BatchStyleContentLoss", "BatchTransfer", "per_image_terms", "stylize_many"]
