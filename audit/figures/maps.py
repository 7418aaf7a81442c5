"""Maps as tile grids: one square per region at a hand-placed (column, row).

A tile grid needs no boundary file (nothing to licence, nothing to download) and gives every
region the same area, so a small state is as visible as a large one. The layout is data of
the case (``tiles.toml`` in the case folder). Every text is passed in by the caller, already
translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from audit.figures import PlainTextFigure, number


def _short(name: str, width: int = 9) -> str:
    """A region name that fits a tile: words kept whole, on two lines when long."""
    if len(name) <= width:
        return name
    words = name.split()
    if len(words) == 1:
        return name[: width - 1] + "."
    half = max(1, len(words) // 2)
    return " ".join(words[:half]) + "\n" + " ".join(words[half:])


def plot_tile_maps(tiles: Mapping[str, tuple[int, int]], names: Mapping[str, str],
                   panels: Sequence[tuple[str, Mapping[str, float], Colormap, str,
                                          Mapping[str, str]]],
                   *, missing: str = "—", lang: str = "en") -> Figure:
    """One tile map per panel, side by side.

    Each panel is ``(title, values by region code, colormap, colour-bar label, value labels
    by region code)``. Regions without a value are grey with ``missing``. The colour bars'
    numbers are formatted for ``lang`` (12.500 and 67,5 in Spanish).
    """
    cols = max(c for c, _ in tiles.values()) + 1
    rows = max(r for _, r in tiles.values()) + 1
    fig = PlainTextFigure(figsize=(7.2, 2.9 * len(panels) / 2 + 0.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for axis, (title, values, cmap, bar_label, texts) in zip(axes, panels, strict=False):
        finite = [v for v in values.values() if np.isfinite(v)]
        norm = Normalize(min(finite, default=0.0), max(finite, default=1.0))
        for code, (c, r) in tiles.items():
            value = values.get(code, float("nan"))
            colour = cmap(norm(value)) if np.isfinite(value) else (0.85, 0.85, 0.85, 1.0)
            axis.add_patch(Rectangle((c, rows - 1 - r), 0.94, 0.94, facecolor=colour,
                                     edgecolor="white", linewidth=0.8))
            dark = np.isfinite(value) and sum(colour[:3]) < 1.5
            axis.text(c + 0.47, rows - 1 - r + 0.62, _short(names.get(code, code)),
                      ha="center", va="center", fontsize=4.6, linespacing=0.9,
                      color="white" if dark else "#1a1a1a")
            axis.text(c + 0.47, rows - 1 - r + 0.22, texts.get(code, missing),
                      ha="center", va="center", fontsize=5.5, fontweight="bold",
                      color="white" if dark else "#1a1a1a")
        axis.set_xlim(-0.1, cols)
        axis.set_ylim(-0.1, rows)
        axis.set_aspect("equal")
        axis.axis("off")
        axis.set_title(title, fontsize=8)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axis,
                           orientation="horizontal", fraction=0.05, pad=0.02)
        bar.set_label(bar_label, fontsize=6)
        bar.ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _p: number(v, "int" if float(v).is_integer() else "f1", lang)))
        bar.ax.tick_params(labelsize=5.5)
    return fig


__all__ = ["plot_tile_maps"]
