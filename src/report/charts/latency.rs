//! Acquire latency by percentile, one chart per worker count.

use plotters::prelude::*;

use super::{FONT, LABEL_PX, Palette, Size, Tip, decades, svg};
use crate::measure::recorder::decode_histogram;
use crate::model::{Point, SeriesKey, WorkerMode};
use crate::report::format::{duration_ns, series_label, workers};

/// Where the percentile axis puts quantile `q`: -log10(1 - q), so 90% is 1, 99% is 2, ...
pub(super) fn percentile_x(q: f64) -> f64 {
    -(1.0 - q).log10()
}

pub(super) fn percentile_label(x: &f64) -> String {
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

/// A histogram's percentile curve: 81 points from the median to 99.99%, then the maximum (at
/// x = 5); values of at least 1, for the log scale.
pub(super) fn curve(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = (0..=80)
        .map(|k| percentile_x(0.5) + (4.0 - percentile_x(0.5)) * f64::from(k) / 80.0)
        .map(|x| (x, h.value_at_quantile(1.0 - 10f64.powf(-x)).max(1) as f64))
        .collect();
    pts.push((5.0, h.max().max(1) as f64));
    pts
}

/// The lowest and highest values of some curves (the highest at least 1).
pub(super) fn bounds<'a>(curves: impl Iterator<Item = &'a [(f64, f64)]> + Clone) -> (f64, f64) {
    let values = curves.flat_map(|c| c.iter().map(|p| p.1));
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(1.0, f64::max);
    (lo, hi)
}

/// Acquire latency by percentile (HdrHistogram's percentile plot) for every backend at one
/// thread count; x from the median to 99.99%, then the maximum.
pub fn latency_percentiles(
    points: &[Point],
    keys: &[SeriesKey],
    threads: usize,
) -> Result<String, String> {
    let palette = Palette::of(keys);
    let mut curves = Vec::new();
    for key in keys {
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
        let pts = curve(&h);
        curves.push((key, p, h, pts));
    }
    if curves.is_empty() {
        return Err("no latency samples".to_string());
    }
    let (lo, hi) = bounds(curves.iter().map(|c| c.3.as_slice()));
    svg(Size::Small, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(72)
            .caption(
                format!("{threads} worker{}", if threads == 1 { "" } else { "s" }),
                (FONT, 18),
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
            .label_style((FONT, LABEL_PX))
            .axis_desc_style((FONT, LABEL_PX))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let mut tips = Vec::new();
        for (key, p, h, pts) in &curves {
            let c = palette.colour(&key.backend);
            let (body, max) = pts.split_at(pts.len() - 1);
            let body = body.iter().copied();
            match key.mode {
                WorkerMode::Threads | WorkerMode::Tasks => {
                    chart.draw_series(LineSeries::new(body, c.stroke_width(2)))?;
                }
                WorkerMode::Processes => {
                    chart.draw_series(DashedLineSeries::new(body, 7, 5, c.stroke_width(2)))?;
                }
            }
            chart.draw_series(max.iter().map(|p| Cross::new(*p, 5, c.stroke_width(2))))?;
            let wait = |q: f64| duration_ns(h.value_at_quantile(q) as f64);
            tips.push(Tip {
                at: chart.backend_coord(&max[0]),
                text: format!(
                    "{}, {}: longest wait {}; median {}, 99% {}, 99.99% {} (over {} acquisitions)",
                    series_label(key),
                    workers(p.mode, p.workers),
                    duration_ns(h.max() as f64),
                    wait(0.5),
                    wait(0.99),
                    wait(0.9999),
                    h.len()
                ),
            });
        }
        Ok(tips)
    })
}
