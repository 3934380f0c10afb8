"""The profiles service's layers below the handler (app.py): logic -> data access -> models.

- ``models``: a profile as stored and as returned.
- ``data``: the DynamoDB calls on the profiles table and the user-pool reads (membership).
- ``logic``: the rules (the key is the caller's ``sub``; admin reads check current membership).

Nothing here reads the environment or creates an AWS client: app.py builds them once, lazily,
and hands them in.
"""
