"""The notes service's layers below the handler (app.py): logic -> data access -> models.

- ``models``: the service's types (a note, a page of notes, the request models' fields).
- ``data``: the DynamoDB calls (conditional writes; a stale write never overwrites newer data).
- ``logic``: the rules (ownership, optimistic locking, what a failed condition means).

Nothing here reads the environment or creates an AWS client: app.py builds them once, lazily,
and hands them in, so tests can give moto-backed clients or their own.
"""
