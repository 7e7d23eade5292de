"""Build tooling of the book (not imported by chapters or notebooks)."""

import sys

# jsonschema (imported through nbformat by every build) imports rfc3987-syntax when it is
# installed (jupyter-events asks for it, for `make lab`), which compiles 38 lark grammars at
# import: about 3 s of every build, for IRI format checks that no schema the build uses has.
# Without it jsonschema simply leaves those two formats unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
