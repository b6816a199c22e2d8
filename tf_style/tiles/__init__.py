"""Exact tiled evaluation of the loss and its gradient, for images of any size.

The Gram loss is a sum over positions, so once every style layer's Gram matrix of the
whole image is known, the gradient at each position is local. :mod:`.stages` cuts
VGG19 into stages at its poolings, :mod:`.geometry` cuts each stage's input into
tiles with a halo wider than the stage's reach (:mod:`.tiling` sizes them), and
:mod:`.passes` runs two passes of :mod:`.compiled` functions (:mod:`.evaluate`
makes the loss of them): forward over the tiles (Gram matrices, content distances,
each stage's output), then backward stage by stage with the global Gram differences
held fixed; :mod:`.kept` spares pass 2 the forward of the small trailing stages.
The sum of the tiles' gradients is the untiled gradient, and memory follows the tile.
"""

from tf_style.tiles.evaluate import tiled_loss_and_gradient
from tf_style.tiles.geometry import Tile, tile_grid
from tf_style.tiles.passes import tiled_features
from tf_style.tiles.stages import Stage, network_stages
from tf_style.tiles.tiling import Tiling

__all__ = [
    "Stage",
    "Tile",
    "Tiling",
    "network_stages",
    "tile_grid",
    "tiled_features",
    "tiled_loss_and_gradient",
]
