"""People (who is paged, who approves) and their chat identities (Lark/Feishu, Slack)."""
