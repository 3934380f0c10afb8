"""The workshop tool: each module's guided break as data, applied, reset and checked by command.

- ``python -m workshop list``: the modules, their breaks and their checks.
- ``python -m workshop break N`` (``make workshop-break N``): apply module N's break to the
  working tree and say what changed; ``reset`` (``make workshop-reset``) undoes it exactly.
- ``python -m workshop check`` (``make workshop-check``): in a scratch copy of the tree, run every
  check once on the unbroken kit (each must pass), then apply each break in turn, run its
  module's checks (each must fail with the output the module shows), reset, and prove the copy
  is byte for byte what it was.
- ``python -m workshop diagrams cdk.out`` (``make diagrams``): the architecture diagram and the
  perimeter pictures in docs/workshop/images, generated from the synthesized templates.

The breaks live in ``workshop/modules/*.toml`` (one file per module: its edits, its checks and
the output each check must show); docs/workshop/ explains them to people.
"""
