//! One lock of a program's profile: its wait and hold times by percentile.

use plotters::prelude::*;

use super::latency::{bounds, curve, percentile_label};
use super::{FONT, LABEL_PX, Size, Tip, decades, svg};
use crate::model::LockProfile;
use crate::report::format::duration_ns;

/// The wait (only the acquisitions that waited are above zero) and hold percentiles of `lock`,
/// from the median to 99.99%, then the maximum.
pub fn profile_distributions(lock: &LockProfile) -> Result<String, String> {
    let mut curves = Vec::new();
    for (what, dist, colour) in [
        ("wait", &lock.wait, RGBColor(0xd6, 0x27, 0x28)),
        ("hold", &lock.hold, RGBColor(0x1f, 0x77, 0xb4)),
    ] {
        if dist.samples == 0 {
            continue;
        }
        let h = crate::model::profile::histogram(dist)?;
        let pts = curve(&h);
        curves.push((what, colour, h, pts));
    }
    if curves.is_empty() {
        return Err("no acquisitions were recorded".to_string());
    }
    let (lo, hi) = bounds(curves.iter().map(|c| c.3.as_slice()));
    svg(Size::Small, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(72)
            .caption("wait (red) and hold (blue)", (FONT, 18))
            .build_cartesian_2d(0.2f64..5.1, decades(lo, hi).log_scale())?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&percentile_label)
            .y_labels(8)
            .y_label_formatter(&|v| duration_ns(*v))
            .x_desc("percentile")
            .y_desc("time")
            .label_style((FONT, LABEL_PX))
            .axis_desc_style((FONT, LABEL_PX))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let mut tips = Vec::new();
        for (what, colour, h, pts) in &curves {
            let (body, max) = pts.split_at(pts.len() - 1);
            chart.draw_series(LineSeries::new(
                body.iter().copied(),
                colour.stroke_width(2),
            ))?;
            chart.draw_series(
                max.iter()
                    .map(|p| Cross::new(*p, 5, colour.stroke_width(2))),
            )?;
            let at = |q: f64| duration_ns(h.value_at_quantile(q) as f64);
            tips.push(Tip {
                at: chart.backend_coord(&max[0]),
                text: format!(
                    "{what}: longest {}; median {}, 99% {}, 99.99% {} (over {} acquisitions)",
                    duration_ns(h.max() as f64),
                    at(0.5),
                    at(0.99),
                    at(0.9999),
                    h.len()
                ),
            });
        }
        Ok(tips)
    })
}
