"""Workspace runtime configuration (`/api/config`): what an admin may change without a deploy."""
