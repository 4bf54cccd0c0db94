"""Chat callbacks: verify the vendor's signature over the raw body, parse, decide.

``slack.py`` and ``lark.py`` are pure (no AWS, no network); ``actions.py`` turns a verified
click into a decision through the same ``ApprovalService`` as the API.
"""
