"""The IAM check: does each function's and state machine's role in template.yaml allow the AWS calls
its code makes? moto enforces no IAM, so without this a missing permission shows only in AWS, as an
AccessDeniedException (docs/iam.md).

- ``policies``: each role's statements, expanded as SAM expands them (policy templates from a
  reviewed copy of samtranslator's policy_templates.json, plus the managed policies SAM attaches).
- ``calls``: what IAM authorizes for a botocore call (action, resource ARN), and a recorder that
  charges each call the code makes to the function running it.
- ``state_machines``: what each state machine's ASL tasks call, read from the definitions.
"""
