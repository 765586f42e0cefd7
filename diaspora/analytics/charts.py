"""Server-rendered SVG charts (pygal), safe for a strict CSP: no scripts, nothing external.

pygal's output references its tooltip JavaScript and inlines a config script; both are
removed. The world map gets, per country, a focusable link to its table row with a
`<title>` (the hover text) and an `aria-label`, plus a text label that CSS shows while
the country is hovered or focused. The map outline from pygal_maps_world (780 KB) is
simplified once per process to about a fifth of that, which is plenty at screen sizes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pygal
import pygal_maps_world
from pygal.style import Style
from pygal_maps_world.maps import World

SVG_NS = "http://www.w3.org/2000/svg"
# Sequential blues (light to dark) for the count classes, and grey for hidden counts.
BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
HIDDEN_COLOUR = "#9aa3ad"
_NUMBER = re.compile(r"[a-zA-Z]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _points(d: str) -> list[list[tuple[float, float]]]:
    """The end points of every segment of an SVG path, per subpath (curves become lines)."""
    tokens = _NUMBER.findall(d)
    subpaths: list[list[tuple[float, float]]] = []
    x = y = sx = sy = 0.0
    i, command = 0, ""
    arity = {"m": 2, "l": 2, "t": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "a": 7}
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "zZ":
                x, y = sx, sy
                continue
        lower = command.lower()
        n = arity[lower]
        args = [float(t) for t in tokens[i : i + n]]
        i += n
        rel = command.islower()
        if lower in "hv":
            if lower == "h":
                x = x + args[0] if rel else args[0]
            else:
                y = y + args[0] if rel else args[0]
        else:
            ex, ey = args[-2], args[-1]
            x, y = (x + ex, y + ey) if rel else (ex, ey)
        if lower == "m":
            subpaths.append([])
            sx, sy = x, y
            command = "l" if rel else "L"  # further pairs after a move are lines
        subpaths[-1].append((x, y))
    return subpaths


def simplify_path(d: str) -> str:
    """Integer coordinates, drop points within 1.5 units of the last kept one and islets
    under 2 units across (about a pixel on screen); a shape keeps at least its largest part."""
    out = []
    subpaths = _points(d)

    def extent(points: list[tuple[float, float]]) -> float:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return max(max(xs) - min(xs), max(ys) - min(ys))

    largest = max(subpaths, key=extent, default=None)
    for points in subpaths:
        if points is not largest and extent(points) < 2:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        small = max(xs) - min(xs) < 12 and max(ys) - min(ys) < 12
        digits = 1 if small else 0
        kept: list[tuple[float, float]] = []
        for px, py in points:
            q = (round(px, digits), round(py, digits))
            if kept and not small and (q[0] - kept[-1][0]) ** 2 + (q[1] - kept[-1][1]) ** 2 < 6.25:
                continue
            if not kept or q != kept[-1]:
                kept.append(q)
        if len(kept) < 3:
            kept = [(round(px, 1), round(py, 1)) for px, py in points]

        def num(v: float, digits: int = digits) -> str:
            return f"{v:.{digits}f}" if digits else str(int(v))

        parts = [f"M{num(kept[0][0])} {num(kept[0][1])}l"]
        for (ax, ay), (bx, by) in zip(kept, kept[1:], strict=False):
            dx, dy = bx - ax, by - ay
            parts.append(f"{num(dx)}{' ' if dy >= 0 else ''}{num(dy)} ")
        out.append("".join(parts).rstrip() + "z")
    return "".join(out)


@lru_cache(maxsize=1)
def world_outline() -> str:
    """pygal_maps_world's country shapes, simplified."""
    source = (Path(pygal_maps_world.__file__).parent / "worldmap.svg").read_text()
    return re.sub(r' d="([^"]*)"', lambda m: f' d="{simplify_path(m.group(1))}"', source)


@lru_cache(maxsize=1)
def mapped_countries() -> frozenset[str]:
    """Alpha-2 codes (upper case) that have a shape on the map."""
    return frozenset(c.upper() for c in re.findall(r'class="([a-z]{2}) country', world_outline()))


class _SimplifiedWorld(World):  # type: ignore[misc]
    @property
    def svg_map(self) -> str:
        return world_outline()


def _strip(root: ET.Element) -> ET.Element:
    """Plain SVG names, no scripts, no pygal tooltip data."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    for parent in list(root.iter()):
        for child in list(parent):
            cls = child.get("class", "").split()
            if child.tag in ("script", "desc", ET.Comment) or {"tooltip", "tooltip-overlay"} & set(
                cls
            ):
                parent.remove(child)
            elif "tooltip-trigger" in cls:
                child.set("class", " ".join(c for c in cls if c != "tooltip-trigger"))
    root.set("xmlns", SVG_NS)
    return root


def _style(colors: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#5a6472",
        colors=tuple(colors),
        font_family="system-ui, sans-serif",
        legend_font_size=16,
        label_font_size=16,
        major_label_font_size=16,
        title_font_size=22,
        opacity="1",
        opacity_hover="1",
        transition="0s",
    )


def world_map(
    cells: dict[str, tuple[str, int]],
    *,
    classes: Sequence[str],
    names: dict[str, str],
    hidden_class: bool = False,
    anchor: str = "map-row-",
    label: str = "Members by country of residence",
) -> str:
    """A choropleth: `cells` maps an alpha-2 code to (shown value, class index into `classes`).

    Each country with a value links to `#{anchor}{CODE}` (its table row) and carries its
    count as `<title>` and `aria-label`. With `hidden_class`, the first class is the one of
    hidden (small) counts and is grey.
    """
    colours = ((HIDDEN_COLOUR,) if hidden_class else ()) + BLUES
    chart = _SimplifiedWorld(
        js=[],
        style=_style(colours[: len(classes)]),
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=len(classes),
        truncate_legend=-1,
        legend_box_size=18,
        width=1000,
        height=620,
        margin=4,
        disable_xml_declaration=True,
        no_prefix=False,
    )
    by_class: list[dict[str, int]] = [{} for _ in classes]
    for code, (_shown, klass) in cells.items():
        if code in mapped_countries():
            by_class[klass][code.lower()] = 1
    for title, values in zip(classes, by_class, strict=True):
        chart.add(title, values)
    root = _strip(chart.render_tree())
    root.set("role", "group")
    root.set("aria-label", label)
    root.set("class", (root.get("class", "") + " world-map").strip())
    for group in root.iter("g"):
        cls = group.get("class", "").split()
        if "country" not in cls:
            continue
        code = cls[0].upper()
        if code not in cells:
            continue
        text = f"{names.get(code, code)}: {cells[code][0]}"
        children = list(group)
        for child in children:
            group.remove(child)
        group.attrib.pop("style", None)
        link = ET.SubElement(group, "a", {"href": f"#{anchor}{code}", "aria-label": text})
        ET.SubElement(link, "title").text = text
        link.extend(children)
        # Shown by CSS while the country is hovered or focused; drawn over open sea
        # (the South Atlantic of this projection), so no later country covers it.
        box = ET.SubElement(link, "g", {"class": "map-label", "aria-hidden": "true"})
        ET.SubElement(
            box, "rect", {"x": "800", "y": "1000", "width": "760", "height": "80", "rx": "8"}
        )
        ET.SubElement(box, "text", {"x": "820", "y": "1054"}).text = text
    return ET.tostring(root, encoding="unicode")


def count_classes(values: Sequence[int]) -> list[int]:
    """Upper bounds of up to five count classes for the largest value (1, 2, 5 steps)."""
    top = max(values, default=0)
    bounds: list[int] = []
    step = 5
    while step < top and len(bounds) < 4:
        bounds.append(step)
        step = {1: 2, 2: 5, 5: 10}[int(str(step)[0])] * 10 ** (len(str(step)) - 1)
    return [*bounds, max(top, step)]


def timeline(
    weeks: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]], *, label: str
) -> str:
    """Stacked weekly columns, one colour per survey version; None draws nothing."""
    chart = pygal.StackedBar(
        js=[],
        style=_style(("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#8c6d31")),
        width=1000,
        height=420,
        show_legend=True,
        legend_at_bottom=True,
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(weeks) // 6),
        truncate_label=-1,
        truncate_legend=-1,
        disable_xml_declaration=True,
        print_values=False,
    )
    chart.x_labels = list(weeks)
    for title, values in series:
        chart.add(title, list(values))
    root = _strip(chart.render_tree())
    root.set("role", "img")
    root.set("aria-label", label)
    return ET.tostring(root, encoding="unicode")
