//! Charts as inline SVG, drawn with plotters' SVG backend (text is left to the browser's fonts,
//! so nothing is needed at build time). One line per series over worker count, min–max error
//! bars from the repetitions, a label at the end of each line, and a tooltip (an SVG `<title>`)
//! on every point, so the page needs no script.
//!
//! A backend has one colour in every chart of every report ([`Palette`], `palette.rs`): the
//! built-in backends each own one; a backend's processes series is drawn in its colour, dashed.
//! The latency percentile charts are in `latency.rs`.

mod latency;
mod palette;
mod profile;

pub use latency::latency_percentiles;
pub use palette::Palette;
pub use profile::profile_distributions;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::{Point, SeriesKey, Spread, WorkerMode};
use crate::report::format::{duration_ns, rate, series_label, workers};
use crate::report::markdown::notes;

/// How big a chart is drawn (the page scales it down to fit, never up).
#[derive(Clone, Copy)]
pub enum Size {
    /// The headline: the page's full width.
    Wide,
    /// Side by side with others, and the headline on a phone.
    Small,
}

impl Size {
    fn pixels(self) -> (u32, u32) {
        match self {
            Size::Wide => (1000, 470),
            // Small enough that a phone shows it at four fifths, text still readable.
            Size::Small => (440, 340),
        }
    }
}

const FONT: &str = "sans-serif";
const LABEL_PX: u32 = 15;
type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

/// A point's tooltip: where it is drawn (pixels) and what it says.
struct Tip {
    at: (i32, i32),
    text: String,
}

/// Draws a chart of `size` and appends the tooltips `draw` returns, as transparent circles with
/// an SVG `<title>`, over the points they describe.
fn svg(
    size: Size,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Fallible<Vec<Tip>>,
) -> Result<String, String> {
    let mut out = String::new();
    let tips;
    {
        let root = SVGBackend::with_string(&mut out, size.pixels()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        tips = draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    if !tips.is_empty()
        && let Some(end) = out.rfind("</svg>")
    {
        let mut layer = String::from("<g class=\"tips\" fill=\"transparent\">");
        for t in tips {
            layer.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"9\"><title>{}</title></circle>",
                t.at.0,
                t.at.1,
                escape(&t.text)
            ));
        }
        layer.push_str("</g>\n");
        out.insert_str(end, &layer);
    }
    Ok(out)
}

/// `text` safe inside an SVG element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A log-axis range around `lo..hi` that contains at least one power of ten, so that the
/// axis always has a labelled tick.
fn decades(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let lo = lo.max(1e-9);
    let hi = hi.max(lo);
    let below = 10f64.powf(lo.log10().floor());
    let above = 10f64.powf(hi.log10().ceil());
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    // Stretch to a decade only on the side that lacks one.
    if below >= lo || above <= hi {
        lo..hi
    } else if lo / below < above / hi {
        below..hi
    } else {
        lo..above
    }
}

/// Thread counts on a log2 axis: 1, 2, 4, 8 equally spaced.
fn thread_axis(threads: &[usize]) -> std::ops::Range<f64> {
    let lo = threads.iter().copied().min().unwrap_or(1).max(1) as f64;
    let hi = threads.iter().copied().max().unwrap_or(1).max(1) as f64;
    (lo.log2() - 0.25)..(hi.log2() + 0.25)
}

fn thread_label(x: &f64) -> String {
    let n = 2f64.powf(*x);
    if (n - n.round()).abs() < 1e-6 && n >= 1.0 {
        format!("{}", n.round())
    } else {
        String::new()
    }
}

/// One line of a chart: its key, and its points with their figure, by worker count.
type Line<'a> = (&'a SeriesKey, Vec<(f64, Spread, &'a Point)>);

/// A series per key of `figure(point)` over worker count.
fn series<'a>(
    points: &'a [Point],
    keys: &'a [SeriesKey],
    figure: &'a dyn Fn(&Point) -> Option<Spread>,
) -> Vec<Line<'a>> {
    keys.iter()
        .map(move |key| {
            let mut pts: Vec<(f64, Spread, &Point)> = points
                .iter()
                .filter(|p| p.is_in(key))
                .filter_map(|p| figure(p).map(|s| ((p.workers as f64).log2(), s, p)))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (key, pts)
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect()
}

/// Room for the labels at the ends of the lines, in pixels: the longest label at about 0.6 em
/// per character, within a third of the chart.
fn label_room(labels: &[String], size: Size) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (longest * LABEL_PX * 6 / 10 + 22).min(size.pixels().0 / 3)
}

/// Where each label goes: at its line's end, moved apart vertically so none overlaps another,
/// within `top..bottom`. `wanted` is each label's line-end height; returns the heights.
fn spread_labels(wanted: &[i32], top: i32, bottom: i32) -> Vec<i32> {
    let gap = LABEL_PX as i32 + 2;
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut at: Vec<i32> = order
        .iter()
        .map(|&i| wanted[i].clamp(top, bottom))
        .collect();
    for k in 1..at.len() {
        at[k] = at[k].max(at[k - 1] + gap);
    }
    if let Some(&last) = at.last()
        && last > bottom
    {
        let n = at.len();
        at[n - 1] = bottom;
        for k in (0..n - 1).rev() {
            at[k] = at[k].min(at[k + 1] - gap);
        }
    }
    let mut out = vec![0; wanted.len()];
    for (k, &i) in order.iter().enumerate() {
        out[i] = at[k];
    }
    out
}

/// How the y axis of a line chart is drawn.
struct YAxis<'a> {
    desc: &'a str,
    format: &'a dyn Fn(&f64) -> String,
    scale: Scale,
}

enum Scale {
    /// From zero to a little above the largest value.
    Linear,
    /// Logarithmic around the data.
    Log,
    /// This range, linear.
    Fixed(f64, f64),
}

/// A point's tooltip text: series, workers, median, range, notes.
fn tip_text(key: &SeriesKey, p: &Point, s: &Spread, format: &dyn Fn(&f64) -> String) -> String {
    let mut text = format!(
        "{}, {}: {} (median of {})",
        series_label(key),
        workers(p.mode, p.workers),
        format(&s.median),
        p.repetitions.len()
    );
    if s.max > s.min {
        text.push_str(&format!(", range {} to {}", format(&s.min), format(&s.max)));
    }
    let n = notes(p);
    if !n.is_empty() {
        text.push_str(&format!("; {}", n.join(", ")));
    }
    text
}

/// A figure against worker count, one line per series with min–max error bars, a label at the
/// end of each line and a tooltip on each point.
fn lines(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
    y: YAxis<'_>,
    size: Size,
    figure: &dyn Fn(&Point) -> Option<Spread>,
) -> Result<String, String> {
    let (y_desc, y_format) = (y.desc, y.format);
    let drawn = series(points, keys, figure);
    if drawn.is_empty() {
        return Err("no data".to_string());
    }
    let all: Vec<Spread> = drawn
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
        .collect();
    // A log axis starts at the least positive figure: a zero would stretch it down to 1e-9,
    // whose ticks all read "0.00 ns".
    let lo = all
        .iter()
        .map(|s| s.min)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let hi = all.iter().map(|s| s.max).fold(0.0, f64::max);
    let lo = if lo.is_finite() { lo } else { hi.max(1.0) };
    let x_range = thread_axis(threads);
    let x_ticks = (x_range.end - x_range.start).round() as usize + 1;
    let palette = Palette::of(keys);
    let labels: Vec<String> = drawn.iter().map(|(k, _)| series_label(k)).collect();
    let room = label_room(&labels, size);
    svg(size, |root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .margin(12)
            .margin_right(room)
            .x_label_area_size(46)
            .y_label_area_size(72);
        let mut tips = Vec::new();
        macro_rules! draw_on {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_labels(x_ticks)
                    .x_label_formatter(&thread_label)
                    .y_label_formatter(y_format)
                    .y_labels(8)
                    .x_desc("workers")
                    .y_desc(y_desc)
                    .label_style((FONT, LABEL_PX))
                    .axis_desc_style((FONT, LABEL_PX))
                    .light_line_style(WHITE.mix(0.0))
                    .draw()?;
                let mut ends = Vec::new();
                for (key, pts) in &drawn {
                    let c = palette.colour(&key.backend);
                    let line = pts.iter().map(|(x, s, _)| (*x, s.median));
                    match key.mode {
                        WorkerMode::Threads | WorkerMode::Tasks => {
                            chart.draw_series(LineSeries::new(line, c.stroke_width(2)))?;
                            chart.draw_series(
                                pts.iter()
                                    .map(|(x, s, _)| Circle::new((*x, s.median), 3, c.filled())),
                            )?;
                        }
                        WorkerMode::Processes => {
                            chart.draw_series(DashedLineSeries::new(
                                line,
                                7,
                                5,
                                c.stroke_width(2),
                            ))?;
                            chart.draw_series(pts.iter().map(|(x, s, _)| {
                                Circle::new((*x, s.median), 4, c.stroke_width(2))
                            }))?;
                        }
                    }
                    chart.draw_series(pts.iter().filter(|(_, s, _)| s.max > s.min).map(
                        |(x, s, _)| {
                            ErrorBar::new_vertical(*x, s.min, s.median, s.max, c.stroke_width(1), 8)
                        },
                    ))?;
                    for (x, s, p) in pts {
                        tips.push(Tip {
                            at: chart.backend_coord(&(*x, s.median)),
                            text: tip_text(key, p, s, y_format),
                        });
                    }
                    if let Some((x, s, _)) = pts.last() {
                        ends.push((chart.backend_coord(&(*x, s.median)), c));
                    }
                }
                let (xs, ys) = chart.plotting_area().get_pixel_range();
                let heights = spread_labels(
                    &ends.iter().map(|((_, y), _)| *y).collect::<Vec<_>>(),
                    ys.start + LABEL_PX as i32 / 2,
                    ys.end - LABEL_PX as i32 / 2,
                );
                let label_x = xs.end + 10;
                for ((((px, py), c), label), ly) in ends.iter().zip(&labels).zip(heights) {
                    root.draw(&PathElement::new(
                        vec![(*px + 4, *py), (label_x - 3, ly)],
                        c.mix(0.5).stroke_width(1),
                    ))?;
                    let style = (FONT, LABEL_PX)
                        .into_font()
                        .color(c)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    root.draw(&Text::new(label.clone(), (label_x, ly), style))?;
                }
            }};
        }
        match y.scale {
            // A figure past the fixed top (an older file's) widens the axis rather than leave
            // the chart.
            Scale::Fixed(a, b) => {
                draw_on!(builder.build_cartesian_2d(x_range.clone(), a..b.max(hi * 1.02))?)
            }
            Scale::Log => {
                draw_on!(builder.build_cartesian_2d(x_range.clone(), decades(lo, hi).log_scale())?)
            }
            Scale::Linear => draw_on!(builder.build_cartesian_2d(x_range.clone(), 0.0..hi * 1.1)?),
        }
        Ok(tips)
    })
}

/// Throughput (median ops/s, min–max bars) against threads: the headline, drawn `size`.
pub fn throughput(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
    log: bool,
    size: Size,
) -> Result<String, String> {
    let scale = if log { Scale::Log } else { Scale::Linear };
    lines(
        points,
        keys,
        threads,
        YAxis {
            desc: "operations per second",
            format: &|v| rate(*v),
            scale,
        },
        size,
        &|p| p.ops_per_sec,
    )
}

/// The rw workload's reads or writes per second against workers (`None`: not an rw sweep).
pub fn read_write(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
    reads: bool,
) -> Option<String> {
    let y = YAxis {
        desc: if reads {
            "reads per second"
        } else {
            "writes per second"
        },
        format: &|v| rate(*v),
        scale: Scale::Log,
    };
    let figure: &dyn Fn(&Point) -> Option<Spread> = if reads {
        &|p| p.reads_per_sec
    } else {
        &|p| p.writes_per_sec
    };
    lines(points, keys, threads, y, Size::Small, figure).ok()
}

/// CPU time per operation (median, min–max bars) against workers, on a log axis: spinning and
/// sleeping locks lie decades apart.
pub fn cpu_per_op(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
) -> Result<String, String> {
    let y = YAxis {
        desc: "CPU time per operation",
        format: &|v| duration_ns(*v),
        scale: Scale::Log,
    };
    lines(points, keys, threads, y, Size::Small, &|p| p.cpu_ns_per_op)
}

/// CPU utilisation against workers.
pub fn utilisation(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
) -> Result<String, String> {
    let y = YAxis {
        desc: "CPU utilisation",
        format: &|v| format!("{:.0}%", v * 100.0),
        scale: Scale::Fixed(0.0, 1.05),
    };
    lines(points, keys, threads, y, Size::Small, &|p| {
        p.cpu_utilisation
    })
}

/// Jain's fairness index against threads.
pub fn fairness(points: &[Point], keys: &[SeriesKey], threads: &[usize]) -> Result<String, String> {
    let y = YAxis {
        desc: "Jain's fairness index",
        format: &|v| format!("{v:.2}"),
        scale: Scale::Fixed(0.0, 1.05),
    };
    lines(points, keys, threads, y, Size::Small, &|p| p.jain_index)
}

/// Hand-off rate against threads.
pub fn handoffs(points: &[Point], keys: &[SeriesKey], threads: &[usize]) -> Result<String, String> {
    let y = YAxis {
        desc: "hand-off rate",
        format: &|v| format!("{:.0}%", v * 100.0),
        scale: Scale::Fixed(0.0, 1.05),
    };
    lines(points, keys, threads, y, Size::Small, &|p| p.handoff_rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_labels_never_overlap_and_stay_inside() {
        let wanted = [100, 101, 99, 300, 5, 400, 400, 400];
        let at = spread_labels(&wanted, 10, 400);
        let mut sorted = at.clone();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            assert!(pair[1] - pair[0] >= LABEL_PX as i32 + 2, "{at:?}");
        }
        assert!(at.iter().all(|y| (10..=400).contains(y)), "{at:?}");
        // A label with room stays at its line's end.
        assert_eq!(at[3], 300);
    }
}
