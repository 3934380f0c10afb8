"""The files service's layers below the handler (app.py): logic -> data access -> models.

- ``models``: a file record and its states (pending, uploaded), and the service's limits.
- ``data``: the DynamoDB calls on the files table and the S3 calls (presigned requests,
  HeadObject, delete); every record write is conditional.
- ``logic``: the rules (quotas, confirming an upload against S3, no delete while a link can write).

Nothing here reads the environment or creates an AWS client: app.py builds them once, lazily,
and hands them in.
"""
