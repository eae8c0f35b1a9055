"""Server-side SVG bar charts (no chart library, no script: works under the CSP and
without JavaScript). Each chart comes with its numbers as a table in the template,
the accessible alternative to the picture."""
from datetime import date

# Distinct hues, each at least 3:1 against white (WCAG 1.4.11, non-text contrast).
PALETTE = ["#000091", "#c9191e", "#18753c", "#b34000", "#6e445a", "#0063cb", "#716043"]
WIDTH, HEIGHT, AXIS, TOP = 640, 240, 32, 12


def stacked_weeks(weeks: list[dict], key: str, labels: dict, label=None) -> dict:
    """One bar per week, stacked by the series of ``weeks[n][key]`` (kind or status). Other periods or groups
    (months, partners) too: ``label(start)`` names each bar (the week's first day by default)."""
    label = label or week_label
    series = list(labels)
    peak = max([w["total"] for w in weeks] + [1])
    step = (WIDTH - AXIS) / max(len(weeks), 1)
    scale = (HEIGHT - AXIS - TOP) / peak
    bars = []
    for n, week in enumerate(weeks):
        y = HEIGHT - AXIS
        segments = []
        for i, name in enumerate(series):
            count = week[key].get(name, 0)
            if count:
                y -= count * scale
                segments.append({"y": round(y, 1), "h": round(count * scale, 1), "color": PALETTE[i % len(PALETTE)],
                                 "title": f"{labels[name]} : {count}"})
        bars.append({"x": round(AXIS + n * step + step * 0.2, 1), "w": round(step * 0.6, 1),
                     "label": label(week["start"]), "total": week["total"], "segments": segments,
                     "counts": [week[key].get(name, 0) for name in series],
                     "top": round(y, 1)})
    return {"width": WIDTH, "height": HEIGHT, "base": HEIGHT - AXIS, "peak": peak, "bars": bars,
            "legend": [{"label": labels[name], "color": PALETTE[i % len(PALETTE)]} for i, name in enumerate(series)],
            "series": series, "labels": labels}


def week_label(start: str) -> str:
    return date.fromisoformat(start).strftime("%d/%m")


def month_label(start: str) -> str:
    return date.fromisoformat(start).strftime("%m/%Y")


def short_label(name: str, length: int = 12) -> str:
    """A name under a bar (the table beside the chart has it in full)."""
    return name if len(name) <= length else name[:length - 1] + "…"
