//! Charts as inline SVG, drawn with plotters' SVG backend (text is left to the browser's fonts,
//! so nothing is needed at build time). One line per backend over thread count, a fixed
//! palette, error bars from the repetitions' range.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::{duration_ns, rate};
use crate::measure::recorder::decode_histogram;
use crate::model::{Point, SeriesKey, Spread};

/// Colours, by backend order (colour-blind-friendly Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `i`th backend.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour as CSS, for legends drawn in HTML.
pub fn css_colour(i: usize) -> String {
    let RGBColor(r, g, b) = colour(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

const SIZE: (u32, u32) = (600, 340);
type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Fallible<()>,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
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

/// A series per key of `figure(point)` over worker count.
fn series<'a>(
    points: &'a [Point],
    keys: &'a [SeriesKey],
    figure: impl Fn(&Point) -> Option<Spread> + 'a,
) -> impl Iterator<Item = (usize, &'a SeriesKey, Vec<(f64, Spread)>)> + 'a {
    keys.iter().enumerate().map(move |(i, key)| {
        let mut pts: Vec<(f64, Spread)> = points
            .iter()
            .filter(|p| p.is_in(key))
            .filter_map(|p| figure(p).map(|s| ((p.workers as f64).log2(), s)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        (i, key, pts)
    })
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

/// A figure against thread count, one line per backend with min–max error bars.
fn lines(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
    y: YAxis<'_>,
    figure: &dyn Fn(&Point) -> Option<Spread>,
) -> Result<String, String> {
    let (y_desc, y_format) = (y.desc, y.format);
    let all: Vec<Spread> = points.iter().filter_map(figure).collect();
    if all.is_empty() {
        return Err("no data".to_string());
    }
    let lo = all.iter().map(|s| s.min).fold(f64::INFINITY, f64::min);
    let hi = all.iter().map(|s| s.max).fold(0.0, f64::max);
    let x_range = thread_axis(threads);
    let x_ticks = (x_range.end - x_range.start).round() as usize + 1;
    svg(|root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(78);
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
                    .light_line_style(WHITE.mix(0.0))
                    .draw()?;
                for (i, _, pts) in series(points, keys, figure) {
                    let c = colour(i);
                    chart.draw_series(LineSeries::new(
                        pts.iter().map(|(x, s)| (*x, s.median)),
                        c.stroke_width(2),
                    ))?;
                    chart.draw_series(
                        pts.iter()
                            .map(|(x, s)| Circle::new((*x, s.median), 3, c.filled())),
                    )?;
                    chart.draw_series(pts.iter().filter(|(_, s)| s.max > s.min).map(
                        |(x, s)| {
                            ErrorBar::new_vertical(*x, s.min, s.median, s.max, c.stroke_width(1), 8)
                        },
                    ))?;
                }
            }};
        }
        match y.scale {
            Scale::Fixed(a, b) => draw_on!(builder.build_cartesian_2d(x_range.clone(), a..b)?),
            Scale::Log => {
                draw_on!(builder.build_cartesian_2d(x_range.clone(), decades(lo, hi).log_scale())?)
            }
            Scale::Linear => draw_on!(builder.build_cartesian_2d(x_range.clone(), 0.0..hi * 1.1)?),
        }
        Ok(())
    })
}

/// Throughput (median ops/s, min–max bars) against threads.
pub fn throughput(
    points: &[Point],
    keys: &[SeriesKey],
    threads: &[usize],
    log: bool,
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
        &|p| p.ops_per_sec,
    )
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
    lines(points, keys, threads, y, &|p| p.cpu_ns_per_op)
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
    lines(points, keys, threads, y, &|p| p.cpu_utilisation)
}

/// Jain's fairness index against threads.
pub fn fairness(points: &[Point], keys: &[SeriesKey], threads: &[usize]) -> Result<String, String> {
    let y = YAxis {
        desc: "Jain's fairness index",
        format: &|v| format!("{v:.2}"),
        scale: Scale::Fixed(0.0, 1.05),
    };
    lines(points, keys, threads, y, &|p| p.jain_index)
}

/// Hand-off rate against threads.
pub fn handoffs(points: &[Point], keys: &[SeriesKey], threads: &[usize]) -> Result<String, String> {
    let y = YAxis {
        desc: "hand-off rate",
        format: &|v| format!("{:.0}%", v * 100.0),
        scale: Scale::Fixed(0.0, 1.05),
    };
    lines(points, keys, threads, y, &|p| p.handoff_rate)
}

/// Where the percentile axis puts quantile `q`: -log10(1 - q), so 90% is 1, 99% is 2, ...
fn percentile_x(q: f64) -> f64 {
    -(1.0 - q).log10()
}

fn percentile_label(x: &f64) -> String {
    let labels = [
        (0.0, "0%"),
        (1.0, "90%"),
        (2.0, "99%"),
        (3.0, "99.9%"),
        (4.0, "99.99%"),
        (5.0, "max"),
    ];
    labels
        .iter()
        .find(|(at, _)| (at - x).abs() < 1e-6)
        .map_or(String::new(), |(_, l)| l.to_string())
}

/// Acquire latency by percentile (HdrHistogram's percentile plot) for every backend at one
/// thread count; x from the median to 99.99%, then the maximum.
pub fn latency_percentiles(
    points: &[Point],
    keys: &[SeriesKey],
    threads: usize,
) -> Result<String, String> {
    let mut curves = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(p) = points.iter().find(|p| p.is_in(key) && p.workers == threads) else {
            continue;
        };
        let Some(h) = p
            .latency_histogram
            .as_deref()
            .and_then(|h| decode_histogram(h).ok())
        else {
            continue;
        };
        let mut pts: Vec<(f64, f64)> = (0..=80)
            .map(|k| percentile_x(0.5) + (4.0 - percentile_x(0.5)) * f64::from(k) / 80.0)
            .map(|x| (x, h.value_at_quantile(1.0 - 10f64.powf(-x)).max(1) as f64))
            .collect();
        pts.push((5.0, h.max().max(1) as f64));
        curves.push((i, key, pts));
    }
    if curves.is_empty() {
        return Err("no latency samples".to_string());
    }
    let lo = curves
        .iter()
        .flat_map(|c| c.2.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    let hi = curves
        .iter()
        .flat_map(|c| c.2.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .caption(
                format!("{threads} worker{}", if threads == 1 { "" } else { "s" }),
                ("sans-serif", 18),
            )
            .build_cartesian_2d(0.2f64..5.1, decades(lo, hi).log_scale())?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&percentile_label)
            .y_labels(8)
            .y_label_formatter(&|v| duration_ns(*v))
            .x_desc("percentile")
            .y_desc("wait to acquire")
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, _, pts) in &curves {
            let c = colour(*i);
            let (body, max) = pts.split_at(pts.len() - 1);
            chart.draw_series(LineSeries::new(body.iter().copied(), c.stroke_width(2)))?;
            chart.draw_series(max.iter().map(|p| Cross::new(*p, 5, c.stroke_width(2))))?;
        }
        Ok(())
    })
}
