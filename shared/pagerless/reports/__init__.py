"""Reports: incident data per period (daily, weekly), hand-built SVG charts, HTML/Markdown/JSON in English or Chinese."""
