"""How a channel's secret is shown once stored: enough to recognise it, never enough to use it."""

import pytest

from pagerless.notify.secrets import mask


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        # a webhook URL: its host, and the last four characters of its secret path
        (
            "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX6f2a",
            "https://hooks.slack.com/****6f2a",
        ),
        ("https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789", "https://oapi.dingtalk.com/****6789"),
        # a short path shows none of itself, and never a piece of the host as if it were the secret's end
        ("http://127.0.0.1:9/x", "http://127.0.0.1:9/****"),
        ("https://example.com/abcdefghij", "https://example.com/****"),
        # a token: its last four characters; a short one: nothing
        ("xoxb-1234567890-abcdefgh", "****efgh"),
        ("short", "****"),
    ],
)
def test_a_secret_is_shown_masked(secret, shown):
    assert mask(secret) == shown
