"""Paths: what a path is, as the kernel resolves it (:mod:`.identity`), and writes
that a reader never sees half done (:mod:`.atomic`).

Every command and mode asks these two modules, and only these, whether a path is an
input, an output of this run or somebody else's file.
"""
