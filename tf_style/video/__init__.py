"""Video: optical flow, Ruder et al.'s temporal term's targets, the warping error,
synthetic clips with known motion, and video files in and out.

The stylisation itself is the one pipeline's (:func:`tf_style.stylize` with
``temporal=`` targets); this package supplies what a frame needs from the frames
before it, and measures how steady the result is.
"""
