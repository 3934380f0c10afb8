"""The workshop tool: each module's guided break as data, applied, run, explained, reset and checked.

- ``python -m workshop list``: the modules, their goals and their checks.
- ``python -m workshop break N`` (``make workshop-break N``): apply module N's break to the
  working tree; print the change, the module's goal and its question.
- ``python -m workshop run N`` (``make workshop-run N``): run module N's checks here and print
  the kit's message first, the Python and jsii stack frames folded.
- ``python -m workshop hint N`` / ``solution N`` (``make workshop-hint N`` / ``workshop-solution N``):
  the hint; the answer, the cost in a real account and the fix as a diff.
- ``python -m workshop reset`` (``make workshop-reset``): undo the break, also after the
  attendee's fix (edits made since are saved as a patch under ``.workshop/saved/``).
- ``python -m workshop.doctor`` (``make workshop-doctor``): is this machine ready? In seconds.
- ``python -m workshop check`` (``make workshop-check``): in scratch copies of the tree, run every
  check on the unbroken kit, then apply each break, run its checks (each must catch it), make the
  module's fix, reset and prove the copy is byte for byte what it was; and compare every fact and
  output excerpt the pages quote with those runs (``workshop/drift.py``).
- ``python -m workshop diagrams cdk.out`` (``make diagrams``): the architecture diagram, one per
  module with its broken control in red, and the perimeter pictures, in docs/workshop/images.

The breaks live in ``workshop/modules/*.toml`` (one file per module: its edits, checks, the output
each check must show, goal, question, hint, answer, cost, fix and highlighted resources); the facts
the pages quote in ``workshop/facts.toml``; docs/workshop/ explains the modules to people.
"""
