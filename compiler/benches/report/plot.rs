//! A log-log line plot as a standalone SVG (no dependency: a few axes,
//! decade grid lines, one polyline per series, a legend).

use std::fmt::Write;

/// One line of the plot.
pub struct Series {
    pub name: String,
    pub color: &'static str,
    /// (x, y), both > 0.
    pub points: Vec<(f64, f64)>,
}

const W: f64 = 640.0;
const H: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The decades covering `lo..=hi`, as exponents.
fn decades(lo: f64, hi: f64) -> (i32, i32) {
    (lo.log10().floor() as i32, hi.log10().ceil() as i32)
}

/// A log-log plot of `series`.
pub fn loglog(title: &str, xlabel: &str, ylabel: &str, series: &[Series]) -> String {
    let all = || series.iter().flat_map(|s| s.points.iter().copied());
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let xs: Vec<f64> = all().map(|p| p.0).filter(|&v| positive(v)).collect();
    let ys: Vec<f64> = all().map(|p| p.1).filter(|&v| positive(v)).collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = if xs.is_empty() {
        (0, 1)
    } else {
        decades(min(&xs), max(&xs))
    };
    let (y0, y1) = if ys.is_empty() {
        (0, 1)
    } else {
        decades(min(&ys), max(&ys))
    };
    let (x1, y1) = (x1.max(x0 + 1), y1.max(y0 + 1));
    let px = |x: f64| LEFT + (x.log10() - f64::from(x0)) / f64::from(x1 - x0) * (W - LEFT - RIGHT);
    let py =
        |y: f64| H - BOTTOM - (y.log10() - f64::from(y0)) / f64::from(y1 - y0) * (H - TOP - BOTTOM);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        (W - RIGHT + LEFT) / 2.0,
        escape(title)
    );
    for e in x0..=x1 {
        let x = px(10f64.powi(e));
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#ddd\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">1e{e}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0
        );
    }
    for e in y0..=y1 {
        let y = py(10f64.powi(e));
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{e}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
         <text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (W - RIGHT + LEFT) / 2.0,
        H - 12.0,
        escape(xlabel),
        (H - BOTTOM + TOP) / 2.0,
        escape(ylabel)
    );
    for (k, s) in series.iter().enumerate() {
        let points: Vec<String> = s
            .points
            .iter()
            .filter(|(x, y)| positive(*x) && positive(*y))
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
            s.color,
            points.join(" ")
        );
        for p in &points {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(
                out,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{}\"/>",
                s.color
            );
        }
        let ly = TOP + 10.0 + 20.0 * k as f64;
        let lx = W - RIGHT + 12.0;
        let _ = writeln!(
            out,
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{}\" stroke-width=\"2\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            lx + 20.0,
            s.color,
            lx + 26.0,
            ly + 4.0,
            escape(&s.name)
        );
    }
    out.push_str("</svg>\n");
    out
}
