"""The operator console: Jinja2 templates, vendored htmx, Babel catalogs, cookie sessions."""
