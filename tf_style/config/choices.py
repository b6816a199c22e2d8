"""The choices and limits of every setting, named once.

:class:`tf_style.config.StyleTransferConfig` declares the settings, the command line
offers these as its ``choices``, and :mod:`.validation` checks against them:
no choice is listed twice.
"""

from __future__ import annotations

OPTIMIZERS: tuple[str, ...] = ("adam", "lbfgs")
LBFGS_BACKENDS: tuple[str, ...] = ("scipy", "tensorflow")
PRECONDITIONERS: tuple[str, ...] = ("none", "fourier", "fourier-color")
COARSE_STARTS: tuple[str, ...] = ("upsample", "correction")
UPSAMPLING: tuple[str, ...] = ("bilinear", "bicubic")
PRESERVE_COLOR: tuple[str, ...] = ("none", "luminance", "histogram")
INITS: tuple[str, ...] = ("content", "noise", "style", "content-recolored")  # or a path
LOSS_NORMALIZATION: tuple[str, ...] = ("tutorial", "paper")
POOLING: tuple[str, ...] = ("max", "avg")
MAX_STYLE_SCALE = 4.0
# The two smallest sizes, one rule each. A file under MIN_IMAGE_SIDE px is refused:
# too small a picture to stylise. Once resized (to max_dim, to a coarse scale), an
# image needs MIN_NETWORK_SIDE px: VGG19's block5 layers sit after four 2x poolings,
# so 16 px is the least that leaves them one location.
MIN_IMAGE_SIDE = 32
MIN_NETWORK_SIDE = 16
# The seed feeds NumPy's legacy generator, which takes unsigned 32-bit integers.
MAX_SEED = 2**32 - 1
PRECISIONS: tuple[str, ...] = ("float32", "bfloat16", "float16", "auto")
# Tiled evaluation (tf_style.tiles): when the image would not fit, always, never.
TILING: tuple[str, ...] = ("auto", "on", "off")
# Many images: how a folder is batched, and how the work is shared out.
SIZINGS: tuple[str, ...] = ("group", "common")
STRATEGIES: tuple[str, ...] = ("auto", "none", "mirrored", "multi-worker")
# How a video's frames depend on each other (--temporal): Ruder et al.'s warped start
# and temporal term, the unwarped previous result, or none.
TEMPORAL_MODES: tuple[str, ...] = ("flow", "previous", "independent")
# The temporal term's default weight (benchmarks/video.py measured the choice).
TEMPORAL_WEIGHT = 1e10
# The highest frame rate a made video may have.
MAX_FPS = 1000.0
