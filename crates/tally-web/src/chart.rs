//! Server-rendered SVG charts: credits per day, stacked by product.
//!
//! Every coordinate is computed in integers from integer millicredits (no float), each bar
//! segment carries a `<title>` (its product, day and credits) and the legend names every
//! product, so the chart reads without a mouse and its markup names what it shows.

use tally_core::Millicredits;

use super::format;
use super::html::Html;
use crate::html;

/// The drawing's width in SVG units (it scales to its container).
const WIDTH: i64 = 720;
const PLOT_HEIGHT: i64 = 240;
const MARGIN_LEFT: i64 = 72;
const MARGIN_RIGHT: i64 = 12;
const MARGIN_TOP: i64 = 12;
/// Room under the plot for the day labels.
const AXIS_HEIGHT: i64 = 28;
const LEGEND_ROW_HEIGHT: i64 = 22;
const LEGEND_COLUMN_WIDTH: i64 = 212;
/// Legend labels longer than this are cut (bar titles keep the whole name).
const LEGEND_NAME_CHARS_MAX: usize = 16;
/// The most day labels under the axis (the others are skipped evenly).
const DAY_LABELS_MAX: usize = 8;
/// The most horizontal grid lines above zero.
const TICKS_MAX: i64 = 5;

/// Colours told apart by most people, including with the common colour-vision deficiencies.
const PALETTE: [&str; 8] = [
    "#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#64748b",
];

/// One product's credits (millicredits) per day, in the order of the chart's days.
pub struct Series {
    pub name: String,
    pub millicredits: Vec<i64>,
}

fn credits_text(millicredits: i64) -> String {
    format::credits(&Millicredits::new(millicredits).to_string())
}

/// The grid step (1, 2 or 5 × 10^k millicredits) that draws `max` in at most [`TICKS_MAX`]
/// steps; at least one credit.
fn tick_step(max: i64) -> i64 {
    let mut magnitude: i64 = 1_000;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if max <= step.saturating_mul(TICKS_MAX) {
                return step;
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// `y` of a value on the plot (0 at the bottom).
fn y_of(value: i64, top: i64) -> i64 {
    let scaled = i128::from(value.max(0)) * i128::from(PLOT_HEIGHT) / i128::from(top.max(1));
    MARGIN_TOP + PLOT_HEIGHT - i64::try_from(scaled).unwrap_or(PLOT_HEIGHT)
}

/// `2026-11-24` → `24 Nov`.
fn short_day(day: &str) -> String {
    let full = format::date(&format!("{day}T00:00:00Z"));
    match full.rsplit_once(' ') {
        Some((day_month, _year)) => day_month.to_string(),
        None => day.to_string(),
    }
}

/// A stacked bar chart of `series` over `days` (`YYYY-MM-DD`), with `data-testid` as given.
pub fn stacked_days(test_id: &str, days: &[String], series: &[Series]) -> Html {
    let per_day_total: Vec<i64> = (0..days.len())
        .map(|index| {
            series
                .iter()
                .map(|one| one.millicredits.get(index).copied().unwrap_or(0).max(0))
                .fold(0i64, i64::saturating_add)
        })
        .collect();
    let max = per_day_total.iter().copied().max().unwrap_or(0);
    let step = tick_step(max);
    let ticks = if max == 0 {
        1
    } else {
        i64::try_from(max.unsigned_abs().div_ceil(step.unsigned_abs())).unwrap_or(TICKS_MAX)
    };
    let top = step.saturating_mul(ticks);
    let plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    let columns = ((WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / LEGEND_COLUMN_WIDTH).max(1) as usize;
    let legend_rows = series.len().div_ceil(columns) as i64;
    let legend_top = MARGIN_TOP + PLOT_HEIGHT + AXIS_HEIGHT + 8;
    let height = legend_top + legend_rows * LEGEND_ROW_HEIGHT + 4;

    let mut grid = Html::default();
    for tick in 0..=ticks {
        let value = step.saturating_mul(tick);
        let y = y_of(value, top);
        grid.push(html!(
            "<line class=\"gridline\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"></line>\
             <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            MARGIN_LEFT,
            WIDTH - MARGIN_RIGHT,
            y,
            y,
            MARGIN_LEFT - 6,
            y + 4,
            credits_text(value)
        ));
    }

    let slots = days.len().max(1) as i64;
    let label_every = days.len().div_ceil(DAY_LABELS_MAX).max(1);
    let mut bars = Html::default();
    for (index, day) in days.iter().enumerate() {
        let position = index as i64;
        let x0 = MARGIN_LEFT + plot_width * position / slots;
        let x1 = MARGIN_LEFT + plot_width * (position + 1) / slots;
        let gap = ((x1 - x0) / 5).max(if x1 - x0 > 2 { 1 } else { 0 });
        let x = x0 + gap / 2;
        let width = (x1 - x0 - gap).max(1);
        let mut below = 0i64;
        for (series_index, one) in series.iter().enumerate() {
            let value = one.millicredits.get(index).copied().unwrap_or(0).max(0);
            if value == 0 {
                continue;
            }
            let above = below.saturating_add(value);
            let y_top = y_of(above, top);
            let y_bottom = y_of(below, top);
            bars.push(html!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">\
                 <title>{} · {}: {} {}</title></rect>",
                x,
                y_top,
                width,
                (y_bottom - y_top).max(1),
                PALETTE[series_index % PALETTE.len()],
                one.name,
                format::date(&format!("{day}T00:00:00Z")),
                credits_text(value),
                format::millicredits_unit(Some(value))
            ));
            below = above;
        }
        if index % label_every == 0 {
            bars.push(html!(
                "<text class=\"day\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                (x0 + x1) / 2,
                MARGIN_TOP + PLOT_HEIGHT + 18,
                short_day(day)
            ));
        }
    }

    let mut legend = Html::default();
    for (series_index, one) in series.iter().enumerate() {
        let column = (series_index % columns) as i64;
        let row = (series_index / columns) as i64;
        let x = MARGIN_LEFT + column * LEGEND_COLUMN_WIDTH;
        let y = legend_top + row * LEGEND_ROW_HEIGHT;
        let total = one
            .millicredits
            .iter()
            .map(|value| (*value).max(0))
            .fold(0i64, i64::saturating_add);
        let label: String = if one.name.chars().count() > LEGEND_NAME_CHARS_MAX {
            let cut: String = one.name.chars().take(LEGEND_NAME_CHARS_MAX - 1).collect();
            format!("{cut}…")
        } else {
            one.name.clone()
        };
        legend.push(html!(
            "<g class=\"legend-item\"><rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"></rect>\
             <text x=\"{}\" y=\"{}\">{} ({})</text></g>",
            x,
            y,
            PALETTE[series_index % PALETTE.len()],
            x + 18,
            y + 11,
            label,
            credits_text(total)
        ));
    }

    let empty = if max == 0 {
        html!(
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">No credits spent in this range.</text>",
            MARGIN_LEFT + plot_width / 2,
            MARGIN_TOP + PLOT_HEIGHT / 2
        )
    } else {
        Html::default()
    };
    let names: Vec<&str> = series.iter().map(|one| one.name.as_str()).collect();
    let description = if names.is_empty() {
        "No products.".to_string()
    } else {
        format!("Products: {}.", names.join(", "))
    };
    html!(
        "<svg class=\"chart\" data-testid=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" \
         aria-labelledby=\"{}-title {}-desc\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{}-title\">Credits per day, stacked by product</title>\
         <desc id=\"{}-desc\">{}</desc>{}{}{}<g class=\"legend\">{}</g></svg>",
        test_id,
        WIDTH,
        height,
        test_id,
        test_id,
        test_id,
        test_id,
        description,
        grid,
        bars,
        empty,
        legend
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_of_credits() {
        let check = |max: i64, expected: i64| assert_eq!(tick_step(max), expected, "{max}");
        check(0, 1_000);
        check(4_000, 1_000);
        check(5_000, 1_000);
        check(5_001, 2_000);
        check(12_500, 5_000);
        check(1_234_567_000, 500_000_000);
        check(i64::MAX, 2_000_000_000_000_000_000);
    }

    #[test]
    fn bars_stack_and_every_product_is_named() {
        let days = vec!["2026-11-01".to_string(), "2026-11-02".to_string()];
        let series = vec![
            Series {
                name: "assistant".into(),
                millicredits: vec![1_500, 0],
            },
            Series {
                name: "<studio>".into(),
                millicredits: vec![2_500, 1_000],
            },
        ];
        let svg = stacked_days("usage-chart", &days, &series).into_string();
        assert!(svg.contains("data-testid=\"usage-chart\""));
        assert!(svg.contains("assistant · 1 Nov 2026: 1.5 credits"));
        assert!(svg.contains("&lt;studio&gt; · 2 Nov 2026: 1 credit"));
        assert!(svg.contains("&lt;studio&gt; (3.5)"));
        assert!(!svg.contains("<studio>"));
        assert_eq!(svg.matches("<rect").count(), 3 + 2);
        assert!(svg.contains(">1 Nov</text>"));
    }

    #[test]
    fn an_empty_range_draws_an_empty_chart() {
        let svg = stacked_days("usage-chart", &[], &[]).into_string();
        assert!(svg.contains("No credits spent"));
    }
}
