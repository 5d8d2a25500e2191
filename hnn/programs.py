"""Imported first by hnn's own programs (the hnn command and scripts/): what they set up before anything else.

jsonschema, with which nbformat validates every notebook it reads or writes, imports rfc3987-syntax whenever it is
installed (jupyter-events, which JupyterLab needs, brings it) to check strings of the "iri" format, and rfc3987-syntax
builds its Lark grammars at import: about 1.5 s of every process that touches a notebook (jsonschema issue 1428). No
notebook schema has that format, so these programs tell Python the module is absent, and jsonschema leaves "iri"
unchecked, as it does wherever rfc3987-syntax is not installed. Processes that hnn does not start (papermill's own
command, nbval, JupyterLab) still pay it; hnn changes nothing installed.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # an import of a module set to None raises ImportError, which jsonschema expects
