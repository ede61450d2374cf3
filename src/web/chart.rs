//! The dashboard's chart of daily counts, drawn by the server as SVG (no script): one line per
//! count, each with its own colour and dash so that colour is never the only difference.

use chrono::NaiveDate;

use crate::domain::stats::DayCounts;

/// Drawing area, in SVG units (the picture scales to the page's width).
pub const WIDTH: f64 = 720.0;
/// Drawing height.
pub const HEIGHT: f64 = 240.0;
/// Room for the axis labels.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The CSS class that gives its colour and dash (`entries`, `exits`, `travelers`, `denied`).
    pub class: &'static str,
    /// Its legend, in the reader's language.
    pub label: String,
    /// The polyline's points, `x,y x,y ...`.
    pub points: String,
    /// Its largest value.
    pub max: u64,
}

/// The chart of a range of days.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The lines.
    pub series: Vec<Series>,
    /// The largest value of any line: the top of the scale.
    pub top: u64,
    /// The scale's marks: (y, value).
    pub ticks: Vec<(f64, u64)>,
    /// The first and last day, under the axis.
    pub first: String,
    /// The last day.
    pub last: String,
    /// The plot's left edge, bottom edge and right edge.
    pub left: f64,
    /// Bottom edge.
    pub bottom: f64,
    /// Right edge.
    pub right: f64,
    /// The whole picture's width.
    pub width: f64,
    /// The whole picture's height.
    pub height: f64,
}

/// Reads one count of a day.
type Count = fn(&DayCounts) -> u64;

/// A round top for a scale reaching `max` (1, 2 or 5 times a power of ten).
fn nice_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The chart of `days` (oldest first); `labels` are the legends of entries, exits, travelers and
/// denied, and `date` writes a day in the reader's language.
pub fn daily(
    days: &[(NaiveDate, DayCounts)],
    labels: [String; 4],
    date: impl Fn(NaiveDate) -> String,
) -> Chart {
    let pick: [(&'static str, Count); 4] = [
        ("entries", |c| c.entries),
        ("exits", |c| c.exits),
        ("travelers", |c| c.travelers),
        ("denied", |c| c.denied),
    ];
    let top = nice_top(
        days.iter()
            .flat_map(|(_, c)| pick.iter().map(move |(_, f)| f(c)))
            .max()
            .unwrap_or(0),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = if days.len() > 1 {
        plot_w / (days.len() - 1) as f64
    } else {
        0.0
    };
    let y_of = |v: u64| HEIGHT - BOTTOM - plot_h * (v as f64 / top as f64);
    let series = pick
        .iter()
        .zip(labels)
        .map(|((class, f), label)| Series {
            class,
            label,
            points: days
                .iter()
                .enumerate()
                .map(|(i, (_, c))| format!("{:.1},{:.1}", LEFT + step * i as f64, y_of(f(c))))
                .collect::<Vec<_>>()
                .join(" "),
            max: days.iter().map(|(_, c)| f(c)).max().unwrap_or(0),
        })
        .collect();
    Chart {
        series,
        top,
        ticks: [0, top / 2, top]
            .into_iter()
            .map(|v| (y_of(v), v))
            .collect(),
        first: days.first().map(|(d, _)| date(*d)).unwrap_or_default(),
        last: days.last().map(|(d, _)| date(*d)).unwrap_or_default(),
        left: LEFT,
        bottom: HEIGHT - BOTTOM,
        right: WIDTH - RIGHT,
        width: WIDTH,
        height: HEIGHT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, entries: u64, denied: u64) -> (NaiveDate, DayCounts) {
        (
            NaiveDate::from_ymd_opt(2026, 11, d).expect("date"),
            DayCounts {
                entries,
                exits: entries / 2,
                travelers: entries,
                denied,
                ..DayCounts::default()
            },
        )
    }

    #[test]
    fn every_count_is_a_line_on_a_round_scale_from_the_first_day_to_the_last() {
        let days = [day(1, 0, 0), day(2, 130, 3), day(3, 40, 1)];
        let labels = ["e", "x", "t", "d"].map(String::from);
        let chart = daily(&days, labels, |d| d.to_string());
        assert_eq!(chart.top, 200);
        assert_eq!(chart.series.len(), 4);
        let entries = &chart.series[0];
        assert_eq!(entries.class, "entries");
        assert_eq!(entries.max, 130);
        // Three points, left edge to right edge; zero on the axis, 130 at 130/200 of the height.
        let points: Vec<(f64, f64)> = entries
            .points
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect();
        assert_eq!(points.len(), 3);
        assert_eq!(points[0], (LEFT, HEIGHT - BOTTOM));
        assert_eq!(points[2].0, WIDTH - RIGHT);
        let plot_h = HEIGHT - TOP - BOTTOM;
        assert!((points[1].1 - (HEIGHT - BOTTOM - plot_h * 0.65)).abs() < 0.06);
        assert_eq!(
            (chart.first.as_str(), chart.last.as_str()),
            ("2026-11-01", "2026-11-03")
        );
    }

    #[test]
    fn an_empty_range_or_a_quiet_one_still_has_a_scale() {
        let chart = daily(&[], ["a", "b", "c", "d"].map(String::from), |d| {
            d.to_string()
        });
        assert_eq!(chart.top, 1);
        assert!(chart.series.iter().all(|s| s.points.is_empty()));
        assert_eq!(nice_top(1), 1);
        assert_eq!(nice_top(3), 5);
        assert_eq!(nice_top(1001), 2000);
    }
}
