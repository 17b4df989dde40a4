//! The SVG chart: per second, the load offered, the requests sent to KMS (retries
//! included), those admitted and those throttled, with the quota as a horizontal line; one
//! panel per run.

use std::path::Path;

use plotters::prelude::*;

use super::error::{BoxError, Error, Result};
use super::report::Report;

const OFFERED: RGBColor = RGBColor(255, 127, 14);
const SENT: RGBColor = RGBColor(31, 119, 180);
const ADMITTED: RGBColor = RGBColor(44, 160, 44);
const THROTTLED: RGBColor = RGBColor(214, 39, 40);

/// Draws one panel per report into `path`.
pub fn draw(path: &Path, panels: &[&Report]) -> Result<()> {
    if panels.is_empty() {
        return Err(Error::Output { context: format!("drawing {}: nothing to draw", path.display()), source: None });
    }
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let rows = panels.len().div_ceil(cols);
    let size = (if cols == 1 { 900 } else { 1200 }, 340 * rows as u32);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| Error::output("drawing the chart", e.to_string()))?;
    let areas = root.split_evenly((rows, cols));
    for (area, r) in areas.iter().zip(panels) {
        panel(area, r).map_err(|e| Error::output(format!("drawing {}", path.display()), e))?;
    }
    root.present().map_err(|e| Error::output(format!("writing {}", path.display()), e.to_string()))?;
    Ok(())
}

/// Plotters' errors, kept as text: their types borrow the backend's.
fn plot_err(e: impl std::fmt::Display) -> BoxError {
    e.to_string().into()
}

fn panel<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, r: &Report) -> Result<(), BoxError>
where
    DB::ErrorType: 'static,
{
    let secs = r.timeline.len().max(1) as f64;
    let peak =
        r.timeline.iter().map(|s| s.offered.max(s.sent).max(s.admitted).max(s.throttled)).max().unwrap_or(0) as f64;
    let ymax = (peak.max(r.quota_line.unwrap_or(0.0)) * 1.15).max(10.0);
    let title = format!(
        "{}: {:.1}% succeeded, {} KMS requests, {} throttled",
        r.label,
        r.success_rate * 100.0,
        r.sent,
        r.throttled
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..secs, 0f64..ymax)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("requests per second")
        .light_line_style(WHITE)
        .x_labels((secs as usize + 1).min(17))
        .x_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") })
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(plot_err)?;
    type Pick = fn(&super::report::SecondReport) -> u64;
    let series: [(&str, RGBColor, Pick); 4] = [
        ("offered", OFFERED, |s| s.offered),
        ("sent to KMS", SENT, |s| s.sent),
        ("admitted", ADMITTED, |s| s.admitted),
        ("throttled", THROTTLED, |s| s.throttled),
    ];
    for (name, color, pick) in series {
        let points: Vec<(f64, f64)> = r.timeline.iter().map(|s| (s.second as f64 + 0.5, pick(s) as f64)).collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    if let Some(q) = r.quota_line {
        chart
            .draw_series(LineSeries::new(vec![(0.0, q), (secs, q)], BLACK.stroke_width(1)))
            .map_err(plot_err)?
            .label(format!("quota {q:.0}/s"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}
