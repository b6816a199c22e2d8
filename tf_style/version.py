"""The package's version, in a module that imports nothing.

Run records name the version that made them; reading it from here, not from the
package's face, keeps the record writer from importing everything above it.
"""

__version__ = "0.1.0"
