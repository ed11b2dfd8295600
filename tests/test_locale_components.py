"""Component builders in the reader's language and accessible: figures' separators and date
axes, progress bars' names, Babel formats. Pure functions, no browser."""
from __future__ import annotations

from datetime import date, datetime, timezone

import plotly.graph_objects as go
import pytest

from dashboard.i18n import format_number, format_percent, local_time
from layouts.components.figure_locale import HOVER_FORMAT, TICK_FORMAT_STOPS, localize
from layouts.components.leadership_tables import progress_bar
from layouts.components.progress_charts import percent_bars, trend_line


@pytest.mark.parametrize("lang, separators", [("vi", ",."), ("en", ".,")])
def test_figures_use_the_readers_separators_and_numeric_dates(lang, separators):
    # Before: Plotly's defaults, "1,234.5" and "Dec 1, 2026" on every page.
    figure = trend_line([(date(2026, 11, 24), 40.5), (date(2026, 12, 1), 45.0)], 100, lang=lang)
    assert figure.layout.separators == separators
    assert figure.layout.xaxis.tickformat == "%d/%m"  # a builder's own format is kept
    assert figure.layout.xaxis.hoverformat == HOVER_FORMAT
    bars = percent_bars(["VNPT"], [82.25], lang=lang)
    assert bars.layout.separators == separators and bars.data[0].text == (format_percent(82.25, lang),)


def test_date_axes_get_day_first_24_hour_ticks_plain_dicts_too():
    figure = localize(go.Figure(go.Scatter(x=[datetime(2026, 12, 1, 15, tzinfo=timezone.utc)], y=[1])), "vi")
    assert [stop.value for stop in figure.layout.xaxis.tickformatstops] == [s["value"] for s in TICK_FORMAT_STOPS]
    assert figure.layout.yaxis.hoverformat is None  # numbers are not dates
    plain = localize({"data": [{"type": "heatmap", "x": ["2026-12-01T10:00:00"], "z": [[1]]}],
                      "layout": {"xaxis": {"tickformat": "%H:00"}}}, "en")
    assert plain["layout"]["xaxis"] == {"tickformat": "%H:00", "hoverformat": HOVER_FORMAT}
    assert plain["layout"]["separators"] == ".,"


def test_progress_bars_are_named_for_screen_readers():
    # Before: dbc.Progress, a progressbar with no accessible name (axe aria-progressbar-name).
    bar = progress_bar(82.5, "vi", "Sở Tư pháp").to_plotly_json()["props"]
    assert bar["role"] == "progressbar" and bar["aria-label"] == "Sở Tư pháp: 82%"
    assert bar["aria-valuenow"] == 82.5 and bar["aria-valuemax"] == 100.0
    assert progress_bar(40, "en").to_plotly_json()["props"]["aria-label"] == "Progress: 40%"
    warning = progress_bar(60).children.className
    assert "bg-warning" in warning and "text-dark" in warning  # white on yellow fails contrast


def test_babel_formats_follow_the_language():
    assert format_number(1234.56, "vi") == "1.234,6" and format_number(1234.56, "en") == "1,234.6"
    assert format_percent(82.2, "vi") == "82,2%" and format_percent(82.2, "en") == "82.2%"
    moment = datetime(2026, 12, 1, 15, 4, 5, tzinfo=timezone.utc)
    assert local_time(moment, with_date=True) == local_time(moment, with_date=True, lang="en") == "01/12/2026 22:04:05"
