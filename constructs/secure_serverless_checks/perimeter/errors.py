"""Errors about the input, as opposed to findings about the perimeter.

A finding (a violation) means the template says something unsafe; an input error means the
analyzer cannot read the template at all, so it cannot prove anything. The CLI turns every
``PerimeterInputError`` into a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations


class PerimeterInputError(Exception):
    """The input cannot be analyzed: missing path, not JSON, not a template, dangling reference."""


class InputNotFoundError(PerimeterInputError):
    """A path given to the analyzer does not exist or holds no template."""


class TemplateFormatError(PerimeterInputError):
    """A file is not a JSON document (YAML is not supported)."""


class TemplateStructureError(PerimeterInputError):
    """A JSON document is not a CloudFormation template the analyzer understands."""


class DanglingReferenceError(TemplateStructureError):
    """A ``Ref``, ``Fn::GetAtt`` or ``${...}`` names a resource or parameter the template lacks."""
