"""Chart configurations for the page (Chart.js, drawn by core/static/core/app.js from
`<canvas data-chart='…'>`) and chart images for Word and PDF (matplotlib, Agg backend)."""

import io
import json

PALETTE = ["#a31515", "#e07b39", "#f2c14e", "#5b8e7d", "#3b6ea5", "#7d5ba6", "#c2185b", "#8d6e63", "#607d8b"]
COLOURS = {"red": "#c62828", "yellow": "#f9a825", "green": "#2e7d32", "grey": "#9e9e9e"}


def chart_json(kind: str, labels: list, values: list, *, label: str = "", colours=None, horizontal=False) -> str:
    """A Chart.js config as JSON for a data-chart attribute (labels may be lazy translations)."""
    colours = colours or (PALETTE * (len(values) // len(PALETTE) + 1))[: len(values)]
    config = {
        "type": kind,
        "data": {
            "labels": [str(x) for x in labels],
            "datasets": [{"label": str(label), "data": list(values), "backgroundColor": colours}],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "plugins": {"legend": {"display": kind in ("doughnut", "pie")}},
        },
    }
    if horizontal:
        config["options"]["indexAxis"] = "y"
    if kind == "bar":
        config["options"]["scales"] = {("x" if horizontal else "y"): {"beginAtZero": True, "ticks": {"precision": 0}}}
    return json.dumps(config, ensure_ascii=False)


def grouped_bar_json(labels: list, datasets: list[tuple[str, list, str]], *, percent=False) -> str:
    config = {
        "type": "bar",
        "data": {
            "labels": [str(x) for x in labels],
            "datasets": [{"label": str(n), "data": d, "backgroundColor": c} for n, d, c in datasets],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "scales": {"y": {"beginAtZero": True, **({"max": 100} if percent else {})}},
        },
    }
    return json.dumps(config, ensure_ascii=False)


# ------------------------------------------------------------------------------ images (matplotlib)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def bar_png(title: str, labels: list, values: list, *, horizontal: bool = False, colours=None) -> bytes:
    """A bar chart as PNG bytes with Chinese labels."""
    plt = _pyplot()
    labels = [str(x) for x in labels]
    height = max(3.0, 0.35 * len(labels) + 1.2) if horizontal else 3.6
    fig, ax = plt.subplots(figsize=(7.2, height), dpi=150)
    colours = colours or (PALETTE * (len(values) // len(PALETTE) + 1))[: len(values)]
    if horizontal:
        bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1])
    else:
        bars = ax.bar(labels, values, color=colours)
        if max((len(x) for x in labels), default=0) > 4:
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.set_title(title, fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig, plt)


def pie_png(title: str, labels: list, values: list, *, colours=None) -> bytes:
    plt = _pyplot()
    pairs = [(str(lab), v) for lab, v in zip(labels, values) if v]
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=150)
    if pairs:
        ax.pie(
            [v for _, v in pairs],
            labels=[lab for lab, _ in pairs],
            colors=(colours or PALETTE)[: len(pairs)],
            autopct="%1.0f%%",
            startangle=90,
            textprops={"fontsize": 9},
        )
    ax.set_title(title, fontsize=12)
    ax.axis("equal")
    fig.tight_layout()
    return _png(fig, plt)


def _png(fig, plt) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
