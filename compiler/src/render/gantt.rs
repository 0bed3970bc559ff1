//! A Gantt chart of a simulated run as a standalone SVG (`balletc simulate
//! --gantt FILE.svg`): one row per instance grouped under its site, a bar per
//! transition coloured by behavior (overlapping transitions of a fork in
//! sub-lanes), waiting periods hatched grey, pushes and executed `wait`s as
//! markers, the makespan line, and optionally the sequential baseline as a
//! thin lane under each row with its own makespan line.
//!
//! Written by hand (no SVG dependency). The output depends only on its
//! inputs, read in index order, so it can be golden-tested.

use std::collections::BTreeSet;

use ballet_runtime::baseline::BaselineSchedule;
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::timeline::{Bar, Timelines, WaitKind};
use ballet_runtime::{Cost, InstanceId, Model, SiteId};

use super::palette::behavior_colour;
use super::svg::{num, rect, text, titled, vline};

/// Margin, in pixels.
const PAD: f64 = 10.0;
/// Width of the time axis, in pixels.
const CHART_W: f64 = 960.0;
/// Height of the main lane of a row, and of the baseline lane under it.
const LANE_H: f64 = 12.0;
const BASE_H: f64 = 5.0;
/// Text styles.
const TITLE: &str = "font-size=\"16\" font-weight=\"bold\" fill=\"#222\"";
const SUMMARY: &str = "font-size=\"12\" fill=\"#444\"";
const LABEL: &str = "font-size=\"11\" fill=\"#222\"";
const BLOCKED: &str = "font-size=\"11\" fill=\"#c00\"";
const SITE: &str = "font-size=\"12\" font-weight=\"bold\" fill=\"#222\"";
const SITE_BLOCKED: &str = "font-size=\"12\" font-weight=\"bold\" fill=\"#c00\"";
const TICK: &str = "font-size=\"10\" fill=\"#444\" text-anchor=\"middle\"";
const WAIT_FILL: &str = "fill=\"url(#wait)\"";
/// The hatch pattern of waiting periods.
const DEFS: &str = "<defs><pattern id=\"wait\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a9a9a\" stroke-width=\"2\"/></pattern></defs>\n";
/// Where things go: the time scale and the row height.
struct Layout {
    /// Left edge of the time axis.
    x0: f64,
    /// The time at the right edge.
    horizon: Cost,
    row_h: f64,
    width: f64,
}

impl Layout {
    fn x(&self, t: Cost) -> f64 {
        self.x0 + t.0 as f64 / self.horizon.0 as f64 * CHART_W
    }
}

/// Renders the Gantt chart of a run of `plan` (its `timeline`), titled
/// `title`, with the `baseline` schedule under each row if given.
pub fn gantt_svg(
    model: &Model,
    plan: &Plan,
    timeline: &Timelines,
    title: &str,
    baseline: Option<&BaselineSchedule>,
) -> String {
    let u = &plan.universe;
    let base_makespan = baseline.map_or(Cost::ZERO, |b| b.makespan);
    let names = u.instances.iter().map(|i| i.name.chars().count() + 2);
    let longest = names.chain(u.sites.iter().map(|s| s.name.chars().count()));
    let label_w = (longest.max().unwrap_or(0) as f64 * 7.0 + 2.0 * PAD).clamp(120.0, 360.0);
    let layout = Layout {
        x0: PAD + label_w,
        horizon: timeline.makespan.max(base_makespan).max(Cost(1)),
        row_h: if baseline.is_some() { 24.0 } else { 18.0 },
        width: PAD + label_w + CHART_W + 4.0 * PAD,
    };

    let (mut body, legend_bottom) = header(model, plan, timeline, title, baseline, &layout);
    let axis_y = legend_bottom + 36.0;
    let mut rows = String::new();
    let mut y = axis_y + 6.0;
    let mut instance_rows = 0usize;
    for s in 0..u.sites.len() {
        rows += &site_row(model, plan, timeline, SiteId::from_index(s), y, &layout);
        y += layout.row_h;
        for i in Timelines::instances_of(plan, SiteId::from_index(s)) {
            rows += &instance_row(model, plan, timeline, baseline, i, y, &layout);
            instance_rows += 1;
            y += layout.row_h;
        }
    }
    let bottom = y;

    // The axis, with grid lines and labels at the top and the bottom.
    let step = tick_step(layout.horizon);
    let mut tick = Cost::ZERO;
    // At most 11 ticks by the choice of step; the bound also guards
    // against a saturated sum.
    for _ in 0..16 {
        if tick > layout.horizon {
            break;
        }
        let tx = layout.x(tick);
        body += &vline(tx, axis_y, bottom, "stroke=\"#ddd\" stroke-width=\"1\"");
        body += &text(tx, axis_y - 4.0, TICK, &tick.to_string());
        body += &text(tx, bottom + 14.0, TICK, &tick.to_string());
        tick = tick + step;
    }
    body += &rows;
    let (name, dash) = match timeline.deadlock {
        Some(_) => ("deadlock", " stroke-dasharray=\"6 3\""),
        None => ("makespan", ""),
    };
    let at = layout.x(timeline.makespan);
    body += &vline(
        at,
        axis_y - 14.0,
        bottom,
        &format!("stroke=\"#c00\" stroke-width=\"1.5\"{dash}"),
    );
    let label = format!("{name} {}", timeline.makespan);
    body += &line_label(at, axis_y - 16.0, "#c00", &label, &layout);
    if let Some(b) = baseline {
        let at = layout.x(b.makespan);
        let style = "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"";
        body += &vline(at, axis_y - 28.0, bottom, style);
        let label = format!("baseline {}", b.makespan);
        body += &line_label(at, axis_y - 30.0, "#555", &label, &layout);
    }

    let (w, h) = (num(layout.width), num(bottom + 3.0 * PAD));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" data-instances=\"{instance_rows}\">\n{DEFS}<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n{body}</svg>\n"
    )
}

/// Title, summary line and legend; returns them and the legend's bottom.
fn header(
    model: &Model,
    plan: &Plan,
    timeline: &Timelines,
    title: &str,
    baseline: Option<&BaselineSchedule>,
    layout: &Layout,
) -> (String, f64) {
    let u = &plan.universe;
    let ty_of = |i: usize| model.ty(u.instances[i].ty);
    let mut behaviors = BTreeSet::new();
    for (i, t) in timeline
        .instances
        .iter()
        .enumerate()
        .take(u.instances.len())
    {
        let names = t.bars.iter().map(|b| &ty_of(i).behavior(b.behavior).name);
        behaviors.extend(names);
    }
    for (i, s) in baseline.iter().flat_map(|b| b.instances.iter().enumerate()) {
        if i < u.instances.len() {
            behaviors.extend(s.bars.iter().map(|b| &ty_of(i).behavior(b.behavior).name));
        }
    }
    let mut out = text(PAD, 22.0, TITLE, title);
    let mut summary = match timeline.deadlock {
        Some(t) => format!("deadlock at {t}"),
        None => format!("makespan {}", timeline.makespan),
    };
    if let Some(b) = baseline {
        summary += &format!(" · sequential baseline {}", b.makespan);
        if timeline.deadlock.is_none() && b.makespan.0 > 0 {
            let gain = 100.0 * (1.0 - timeline.makespan.0 as f64 / b.makespan.0 as f64);
            summary += &format!(" · gain {gain:.1} %");
        }
    }
    let (ni, ns) = (u.instances.len(), u.sites.len());
    summary += &format!(" · {ni} instances on {ns} sites");
    out += &text(PAD, 40.0, SUMMARY, &summary);

    let mut legend: Vec<(String, &str)> = behaviors
        .iter()
        .map(|b| (format!("fill=\"{}\"", behavior_colour(b)), b.as_str()))
        .collect();
    legend.push((WAIT_FILL.into(), "waiting"));
    if baseline.is_some() {
        legend.push(("fill=\"#999\"".into(), "baseline lane (sequential)"));
    }
    let (mut lx, mut ly) = (PAD, 52.0);
    for (fill, name) in legend {
        let w = 30.0 + 7.0 * name.chars().count() as f64;
        if lx + w > layout.width - PAD {
            (lx, ly) = (PAD, ly + 16.0);
        }
        let swatch = format!("{fill} stroke=\"#666\" stroke-width=\"0.5\"");
        out += &rect(lx, lx + 12.0, ly, 10.0, &swatch);
        out += &text(lx + 16.0, ly + 9.0, LABEL, name);
        lx += w;
    }
    (out, ly + 10.0)
}

/// A site's header row: its name, the periods its head instruction was
/// blocked, and a diamond at each executed `wait`.
fn site_row(
    model: &Model,
    plan: &Plan,
    timeline: &Timelines,
    site: SiteId,
    y: f64,
    layout: &Layout,
) -> String {
    let u = &plan.universe;
    let band = rect(PAD, layout.width - PAD, y, layout.row_h, "fill=\"#eef1f5\"");
    let mut out = format!("<g class=\"site\">{band}\n");
    let st = timeline.sites.get(site.index());
    let name = &u.sites[site.index()].name;
    let baseline_y = y + layout.row_h / 2.0 + 4.0;
    match st.and_then(|t| t.blocked.as_ref()) {
        Some(reason) => {
            let label = text(PAD + 2.0, baseline_y, SITE_BLOCKED, name);
            out += &titled(&label, &format!("blocked: {reason}"));
        }
        None => out += &text(PAD + 2.0, baseline_y, SITE, name),
    }
    for w in st.map(|t| t.waits.as_slice()).unwrap_or_default() {
        let open = if w.open { " (never executed)" } else { "" };
        let what = w.instruction.display(model, u);
        let tip = format!("{what} blocked {} → {}{open}", w.from, w.to);
        let shape = rect(layout.x(w.from), layout.x(w.to), y + 4.0, LANE_H, WAIT_FILL);
        out += &titled(&shape, &tip);
    }
    for &(t, _, ins) in st.map(|t| t.executed.as_slice()).unwrap_or_default() {
        if let Instruction::Wait(..) = ins {
            let (cx, cy) = (num(layout.x(t)), num(y + layout.row_h / 2.0 - 4.0));
            let shape = format!("<path d=\"M{cx} {cy}l4 4l-4 4l-4 -4z\" fill=\"#222\"/>");
            out += &titled(&shape, &format!("{} at {t}", ins.display(model, u)));
        }
    }
    out + "</g>\n"
}

/// One instance's row: label, waits, bars, push markers, the blocked mark
/// of a deadlock, and its baseline lane.
fn instance_row(
    model: &Model,
    plan: &Plan,
    timeline: &Timelines,
    baseline: Option<&BaselineSchedule>,
    i: InstanceId,
    y: f64,
    layout: &Layout,
) -> String {
    let u = &plan.universe;
    let ty = model.ty(u.instances[i.index()].ty);
    let mut out = String::from("<g class=\"instance\">");
    let Some(t) = timeline.instances.get(i.index()) else {
        return out + "</g>\n";
    };
    let style = if t.blocked.is_empty() { LABEL } else { BLOCKED };
    let label = text(PAD + 12.0, y + 12.0, style, &u.instances[i.index()].name);
    out += &titled(&label, &ty.name);
    for w in &t.waits {
        let what = match w.kind {
            WaitKind::Head(b) => format!("{} pushed, not started", ty.behavior(b).name),
            WaitKind::Arrival(p) => format!("arrived at {}, not entered", ty.place_name(p)),
            WaitKind::Place(p) => format!("at {}, not fired", ty.place_name(p)),
        };
        let open = if w.open { " (still waiting)" } else { "" };
        let tip = format!("waiting: {what}, {} → {}{open}", w.from, w.to);
        let shape = rect(layout.x(w.from), layout.x(w.to), y + 3.0, LANE_H, WAIT_FILL);
        out += &titled(&shape, &tip);
    }
    // Transitions that overlap (a fork) get sub-lanes, so that the
    // parallelism inside a component stays visible.
    let (lane, lanes) = sub_lanes(&t.bars);
    let h = LANE_H / lanes.max(1) as f64;
    for (b, &l) in t.bars.iter().zip(&lane) {
        let behavior = &ty.behavior(b.behavior).name;
        let fill = format!(
            "fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"",
            behavior_colour(behavior)
        );
        let name = &ty.transition(b.transition).name;
        let tip = format!("{behavior} / {name}: {} → {}", b.start, b.end);
        let top = y + 3.0 + l as f64 * h;
        out += &titled(
            &rect(layout.x(b.start), layout.x(b.end), top, h, &fill),
            &tip,
        );
    }
    for st in &timeline.sites {
        for &(time, _, ins) in &st.executed {
            let Instruction::PushB(c, b) = ins else {
                continue;
            };
            if c == i {
                let colour = behavior_colour(&ty.behavior(b).name);
                let (px, py) = (num(layout.x(time)), num(y + 4.0));
                let shape = format!(
                    "<path d=\"M{px} {py}l-3 -4h6z\" fill=\"{colour}\" stroke=\"#222\" stroke-width=\"0.5\"/>"
                );
                out += &titled(&shape, &format!("{} at {time}", ins.display(model, u)));
            }
        }
    }
    if !t.blocked.is_empty() {
        let (cx, cy) = (num(layout.x(timeline.makespan) + 3.0), num(y + 6.0));
        let cross =
            format!("<path d=\"M{cx} {cy}l6 6m0 -6l-6 6\" stroke=\"#c00\" stroke-width=\"2\"/>");
        out += &titled(&cross, &format!("blocked: {}", t.blocked.join("; ")));
    }
    for b in baseline
        .and_then(|b| b.instances.get(i.index()))
        .map_or(&[][..], |s| &s.bars)
    {
        let behavior = &ty.behavior(b.behavior).name;
        let fill = format!("fill=\"{}\" opacity=\"0.7\"", behavior_colour(behavior));
        let name = &ty.transition(b.transition).name;
        let tip = format!("baseline {behavior} / {name}: {} → {}", b.start, b.end);
        let top = y + 4.0 + LANE_H;
        out += &titled(
            &rect(layout.x(b.start), layout.x(b.end), top, BASE_H, &fill),
            &tip,
        );
    }
    out + "</g>\n"
}

/// Assigns each bar the first sub-lane free at its start (in start order);
/// returns each bar's sub-lane and the number of sub-lanes.
fn sub_lanes(bars: &[Bar]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by_key(|&k| (bars[k].start, k));
    let mut free_at: Vec<Cost> = Vec::new();
    let mut lane = vec![0; bars.len()];
    for k in order {
        let b = &bars[k];
        match free_at.iter().position(|&e| e <= b.start) {
            Some(l) => {
                free_at[l] = b.end;
                lane[k] = l;
            }
            None => {
                lane[k] = free_at.len();
                free_at.push(b.end);
            }
        }
    }
    (lane, free_at.len())
}

/// A tick step of 1, 2 or 5 times a power of ten, giving at most 10 steps.
fn tick_step(horizon: Cost) -> Cost {
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = unit.saturating_mul(m);
            if horizon.0 / step <= 10 {
                return Cost(step);
            }
        }
        unit = unit.saturating_mul(10);
    }
}

/// The label of a vertical line at `x`: to its right, or to its left in the
/// last quarter of the chart so that it is not clipped.
fn line_label(x: f64, y: f64, colour: &str, label: &str, layout: &Layout) -> String {
    let (at, anchor) = if x > layout.x0 + 0.75 * CHART_W {
        (x - 3.0, "end")
    } else {
        (x + 3.0, "start")
    };
    let style =
        format!("font-size=\"11\" font-weight=\"bold\" fill=\"{colour}\" text-anchor=\"{anchor}\"");
    text(at, y, &style, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_few() {
        for (horizon, step) in [(1, 1), (6_000, 1_000), (17_000, 2_000), (139_000, 20_000)] {
            assert_eq!(tick_step(Cost(horizon)), Cost(step), "{horizon}");
        }
        assert!(tick_step(Cost(u64::MAX)).0 > 0);
    }
}
