"""The MCP server: Pagerless's read tools (and a dry-run proposal) for AI agents."""
