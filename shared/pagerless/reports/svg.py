"""Hand-built SVG charts (no plotting library): deterministic text, so golden files can test them.

Each chart is a self-contained ``<svg>`` with a title, axes with a few labelled ticks, and either bars
(incidents per day), lines (MTTA / MTTR trend) or a burn-down (error budget remaining, a point per day joined by
a line, with the even spend line: what spending the budget evenly over the SLO's window leaves each day).
"""

from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea")
FONT = 'font-family="sans-serif" font-size="11"'


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _nice_max(value: float) -> float:
    if value <= 0:
        return 4.0
    for step in (4, 8, 12, 20, 40, 60, 80, 100, 200, 400, 600, 800, 1000, 2000, 4000, 10000):  # 4 even ticks
        if value <= step:
            return float(step)
    return float(-(-int(value) // 4) * 4)


def _frame(title: str, labels: list[str], top: float, unit: str) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-family="sans-serif" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + PLOT_H - PLOT_H * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" {FONT} text-anchor="end">{_num(value)}{unit}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" stroke="#6b7280"/>')
    every = max(1, -(-len(labels) // 8))  # at most 8 labels on the x axis
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            x = _x(index, len(labels))
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + PLOT_H + 16}" {FONT} text-anchor="middle">{escape(label)}</text>'
            )
    return parts


def _x(index: int, count: int) -> float:
    return LEFT + PLOT_W * (index + 0.5) / max(count, 1)


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H - PLOT_H * (value / top)


def bar_chart(title: str, labels: list[str], values: list[float]) -> str:
    top = _nice_max(max(values, default=0))
    parts = _frame(title, labels, top, "")
    width = PLOT_W / max(len(values), 1) * 0.7
    for index, value in enumerate(values):
        y = _y(value, top)
        parts.append(
            f'<rect x="{_x(index, len(values)) - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{TOP + PLOT_H - y:.1f}" fill="{COLORS[0]}"><title>{escape(labels[index])}: '
            f"{_num(value)}</title></rect>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(title: str, labels: list[str], series: dict[str, list[float | None]], unit: str = "") -> str:
    values = [v for line in series.values() for v in line if v is not None]
    top = _nice_max(max(values, default=0))
    parts = _frame(title, labels, top, unit)
    for n, (name, line) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        points = [(_x(i, len(line)), _y(v, top)) for i, v in enumerate(line) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        legend_x = LEFT + PLOT_W - 240 + 120 * n
        parts.append(f'<rect x="{legend_x}" y="10" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="19" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def burn_down(
    title: str, labels: list[str], remaining_percent: list[float | None], even_percent: list[float | None] | None = None
) -> str:
    """Budget remaining (%) at each point, against the even-spend line: ``even_percent``, what spending evenly over
    the SLO's window (not the report's days) leaves at each point; none for a report stored without it."""
    lowest = min((v for v in remaining_percent if v is not None), default=0)
    top = 100.0
    parts = _frame(title, labels, top, "%")
    even = [(_x(i, len(labels)), _y(v, top)) for i, v in enumerate(even_percent or []) if v is not None]
    if len(even) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in even)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#9ca3af" stroke-dasharray="4 4"/>')
    elif even:
        x, y = even[0]
        parts.append(
            f'<line x1="{x - 12:.1f}" y1="{y:.1f}" x2="{x + 12:.1f}" y2="{y:.1f}" stroke="#9ca3af" stroke-dasharray="4 4"/>'
        )
    points = [
        (_x(i, len(labels)), _y(max(min(v, 100.0), 0.0), top), labels[i], v)
        for i, v in enumerate(remaining_percent)
        if v is not None
    ]
    color = COLORS[1] if lowest <= 0 else COLORS[2]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    # a point per day, so a one-day report shows its budget too (an overspent one on the 0 % line, as it is)
    for x, y, label, value in points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(label)}: {_num(value)}%</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
