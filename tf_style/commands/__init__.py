"""The commands: parse, check, call the library, write outputs, map errors to exits.

``tf-style-train`` (:mod:`~tf_style.commands.train`: one image in
:mod:`~tf_style.commands.one_image`, writing :mod:`~tf_style.commands.run_outputs`;
many in :mod:`~tf_style.commands.many_images`, calling :mod:`tf_style.batch` and
showing :mod:`~tf_style.commands.many_progress`; ``--network`` in
:mod:`~tf_style.commands.network_option`) and
``tf-style-compare`` (:mod:`~tf_style.commands.compare`), with their options and exit
statuses (:mod:`~tf_style.commands.cli`), the checks made before any model is built
(:mod:`~tf_style.commands.preflight`) and progress display
(:mod:`~tf_style.commands.progress`). Only these modules print or return exit
statuses; the library raises typed errors.
"""
