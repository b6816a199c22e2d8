"""VGG19, the network whose features define style and content.

* :mod:`~tf_style.vgg.weights`: ``load_vgg19`` and its ImageNet weights (explicit
  path, Keras cache, the quantised offline copy, download) and ``weights_source``;
  ``_torch_pickle`` reads the quantised file;
* :mod:`~tf_style.vgg.model`: the tutorial's ``vgg_layers``, ``gram_matrix`` and
  ``StyleContentModel``;
* :mod:`~tf_style.vgg.network`: copies of the network in another compute precision
  or with average pooling (``with_network``).
"""
