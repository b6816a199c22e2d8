"""Settings: the frozen configuration, its choices and limits, and their checks.

``from tf_style.config import StyleTransferConfig`` is the public path. Nothing here
imports TensorFlow: the commands build and check a configuration before it loads.
"""

from tf_style.config.fields import *  # noqa: F403 - the face hands on fields' names
from tf_style.config.fields import __all__ as _fields
from tf_style.config.modes import ManyImagesConfig, VideoConfig

__all__ = [*_fields, "ManyImagesConfig", "VideoConfig"]
