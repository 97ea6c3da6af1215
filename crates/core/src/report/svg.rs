//! The facility's timeline as an inline SVG picture: a time axis from its
//! first statement to its last due date, one marker per statement (coloured
//! by who acts: operator, User CIO, SSC; decisions by outcome) with its
//! entry and kind above the axis, due dates of open steps and of the next
//! assessment below it (red when overdue), and the report's date as a
//! dashed line. Labels are stacked in lanes so that none overlap.

use super::html::esc;
use super::FacilityReport;
use crate::record::parse_date;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 24.0;
const RIGHT: f64 = 24.0;
const LANE: f64 = 17.0;
/// Average advance of an 11 px sans-serif character, to size labels.
const CHAR: f64 = 6.3;

/// Colours, shared with the page's legend and tables.
pub(super) const OPERATOR: &str = "#2563a8";
pub(super) const ASSESSOR: &str = "#0f766e";
pub(super) const SSC: &str = "#7c3aad";
pub(super) const SCHEME: &str = "#6b7280";
pub(super) const APPROVED: &str = "#1a7f37";
pub(super) const WITH_STEPS: &str = "#b45309";
pub(super) const REJECTED: &str = "#b42318";

/// The colour of an event: a decision by its outcome, else by who acts.
pub(super) fn colour(kind: &str, outcome: Option<&str>) -> &'static str {
    match (kind, outcome) {
        ("decision", Some("approved")) => APPROVED,
        ("decision", Some("approved-with-steps")) => WITH_STEPS,
        ("decision", _) => REJECTED,
        (
            "registration" | "seal" | "tool-inventory" | "acknowledgement" | "self-assessment"
            | "step-completion" | "dispute" | "transfer",
            _,
        ) => OPERATOR,
        ("countersignature" | "step-acceptance", _) => ASSESSOR,
        ("determination" | "resolution", _) => SSC,
        _ => SCHEME,
    }
}

/// A label placed in a lane: its x range.
struct Placed {
    lane: usize,
    x: f64,
    anchor_end: bool,
}

/// Puts each label (x, text length) in the first lane where it does not
/// overlap the previous label of that lane.
fn place(items: &[(f64, usize)]) -> Vec<Placed> {
    let mut ends: Vec<f64> = Vec::new();
    items
        .iter()
        .map(|&(x, len)| {
            let w = len as f64 * CHAR + 8.0;
            let anchor_end = x + w > WIDTH - RIGHT;
            let (start, end) = if anchor_end { (x - w, x) } else { (x, x + w) };
            let lane = match ends.iter().position(|&e| e < start) {
                Some(l) => l,
                None => {
                    ends.push(f64::MIN);
                    ends.len() - 1
                }
            };
            ends[lane] = end;
            Placed {
                lane,
                x,
                anchor_end,
            }
        })
        .collect()
}

struct Mark {
    day: i32,
    label: String,
    colour: &'static str,
    title: String,
}

/// The timeline of `r` as an `<svg>` element.
pub(super) fn timeline(r: &FacilityReport) -> String {
    let day = |d: &str| parse_date(d).map(|d| d.to_julian_day());
    let outcome = |entry: u64| {
        r.facility
            .decisions
            .iter()
            .find(|d| d.entry == entry)
            .map(|d| d.outcome.as_str())
    };
    let events: Vec<Mark> = r
        .timeline
        .events
        .iter()
        .filter_map(|e| {
            let o = outcome(e.entry);
            let short = match (e.kind.as_str(), o) {
                ("decision", Some(o)) => {
                    let a = r
                        .facility
                        .decisions
                        .iter()
                        .find(|d| d.entry == e.entry)
                        .map_or("", |d| d.assessment.as_str());
                    format!("{a} {}", o.replace("-with-", " with "))
                }
                (k, _) => k.to_string(),
            };
            Some(Mark {
                day: day(&e.date)?,
                label: format!("{} · {short}", e.entry),
                colour: colour(&e.kind, o),
                title: format!("{} entry {}: {}", e.date, e.entry, e.what),
            })
        })
        .collect();
    let mut due: Vec<Mark> = Vec::new();
    for s in &r.facility.open_steps {
        if let Some(d) = day(&s.due) {
            due.push(Mark {
                day: d,
                label: format!("step {} due {}", s.id, s.due),
                colour: if s.overdue { REJECTED } else { WITH_STEPS },
                title: format!(
                    "step {} due {}{}",
                    s.id,
                    s.due,
                    if s.overdue { ": OVERDUE" } else { "" }
                ),
            });
        }
    }
    if let Some(n) = &r.facility.next_assessment {
        if let Some(d) = n.due.as_deref().and_then(day) {
            due.push(Mark {
                day: d,
                label: format!(
                    "next {} due {}",
                    n.assessment,
                    n.due.as_deref().unwrap_or("")
                ),
                colour: if n.overdue { REJECTED } else { SSC },
                title: format!(
                    "next assessment {}{}",
                    n.assessment,
                    if n.overdue { ": OVERDUE" } else { "" }
                ),
            });
        }
    }
    for t in r.facility.inventory.iter().flat_map(|i| &i.tools) {
        if let Some(d) = day(&t.cpa_expires) {
            due.push(Mark {
                day: d,
                label: format!("CPA {} expires", t.cpa_certificate),
                colour: SCHEME,
                title: format!(
                    "CPA certificate {} of {} {} expires {}",
                    t.cpa_certificate, t.make, t.model, t.cpa_expires
                ),
            });
        }
    }
    let as_of = day(&r.timeline.as_of);
    if events.is_empty() && due.is_empty() {
        return "<p class=\"muted\">No dated statements to draw.</p>".into();
    }
    let mut sorted: Vec<&Mark> = events.iter().collect();
    sorted.sort_by_key(|m| m.day);
    let mut due_sorted: Vec<&Mark> = due.iter().collect();
    due_sorted.sort_by_key(|m| m.day);
    let scale = Scale::new(
        &sorted.iter().map(|m| m.day).collect::<Vec<_>>(),
        due_sorted.iter().map(|m| m.day).chain(as_of),
    );
    let event_x: Vec<f64> = (0..sorted.len()).map(|i| scale.event(i)).collect();
    let above = place(
        &sorted
            .iter()
            .zip(&event_x)
            .map(|(m, &x)| (x, m.label.chars().count()))
            .collect::<Vec<_>>(),
    );
    let below = place(
        &due_sorted
            .iter()
            .map(|m| (scale.day(m.day), m.label.chars().count()))
            .collect::<Vec<_>>(),
    );
    let lanes_above = above.iter().map(|p| p.lane + 1).max().unwrap_or(0) as f64;
    let lanes_below = below.iter().map(|p| p.lane + 1).max().unwrap_or(0) as f64;
    let axis = 14.0 + lanes_above * LANE + 10.0;
    let height = axis + 30.0 + lanes_below * LANE + 8.0;

    let mut s = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Timeline of {} statements\">\n",
        events.len()
    );
    s += &format!(
        "<rect class=\"tl-bg\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" rx=\"6\"/>\n"
    );
    // Month ticks (the 1st of each month), labelled with the year at January
    // and at the first tick.
    s += &scale.ticks(axis);
    s += &format!(
        "<line class=\"tl-axis\" x1=\"{LEFT}\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\"/>\n",
        WIDTH - RIGHT
    );
    if let Some(d) = as_of {
        let xa = scale.as_of(d);
        s += &format!(
            "<line class=\"tl-asof\" x1=\"{xa:.1}\" y1=\"4\" x2=\"{xa:.1}\" y2=\"{}\"/><text class=\"tl-asof-label\" x=\"{:.1}\" y=\"{}\" text-anchor=\"end\">as of {}</text>\n",
            height - 4.0,
            xa - 3.0,
            height - 6.0,
            esc(&r.timeline.as_of)
        );
    }
    for (m, p) in sorted.iter().zip(&above) {
        let y = axis - 10.0 - p.lane as f64 * LANE;
        s += &format!(
            "<g><title>{}</title><line class=\"tl-lead\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{axis}\"/><circle cx=\"{:.1}\" cy=\"{axis}\" r=\"5\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\"{}>{}</text></g>\n",
            esc(&m.title),
            p.x,
            y + 2.0,
            p.x,
            p.x,
            m.colour,
            if p.anchor_end { p.x - 2.0 } else { p.x + 2.0 },
            y,
            m.colour,
            if p.anchor_end { " text-anchor=\"end\"" } else { "" },
            esc(&m.label)
        );
    }
    for (m, p) in due_sorted.iter().zip(&below) {
        let y = axis + 26.0 + p.lane as f64 * LANE;
        s += &format!(
            "<g><title>{}</title><line class=\"tl-lead\" x1=\"{:.1}\" y1=\"{axis}\" x2=\"{:.1}\" y2=\"{:.1}\"/><path d=\"M{:.1} {:.1} l6 6 l-6 6 l-6 -6 z\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\"{}>{}</text></g>\n",
            esc(&m.title),
            p.x,
            p.x,
            y - 10.0,
            p.x,
            axis - 6.0,
            m.colour,
            if p.anchor_end { p.x - 2.0 } else { p.x + 2.0 },
            y,
            m.colour,
            if p.anchor_end { " text-anchor=\"end\"" } else { "" },
            esc(&m.label)
        );
    }
    s += "</svg>\n";
    s
}

/// Where things go along the axis. Each day that has statements is a
/// knot, as wide as its number of statements (one unit each, in log order);
/// between knots, a gap of one unit plus the time between them, scaled so
/// that time takes about as much room as the statements. A ledger whose
/// statements all fall on one day is still readable, and months between
/// an assessment and its follow-up still look long.
pub(super) struct Scale {
    /// (day, first unit, units) per knot, by day.
    knots: Vec<(i32, f64, f64)>,
    /// Each event's unit, in the order given.
    events: Vec<f64>,
    total: f64,
}

impl Scale {
    pub(super) fn new(event_days: &[i32], other_days: impl Iterator<Item = i32>) -> Scale {
        let mut days: Vec<(i32, usize)> = Vec::new();
        for &d in event_days {
            match days.iter_mut().find(|(k, _)| *k == d) {
                Some((_, n)) => *n += 1,
                None => days.push((d, 1)),
            }
        }
        for d in other_days {
            if !days.iter().any(|(k, _)| *k == d) {
                days.push((d, 0));
            }
        }
        days.sort();
        let units: f64 = days.iter().map(|&(_, n)| n.max(1) as f64).sum();
        let span = match (days.first(), days.last()) {
            (Some(a), Some(b)) => f64::from(b.0 - a.0),
            _ => 0.0,
        };
        let per_day = if span > 0.0 { units / span } else { 0.0 };
        let mut knots = Vec::with_capacity(days.len());
        let mut at = 0.0;
        let mut prev: Option<i32> = None;
        for &(d, n) in &days {
            if let Some(p) = prev {
                at += 1.0 + per_day * f64::from(d - p);
            }
            knots.push((d, at, n.max(1) as f64));
            at += n.max(1) as f64 - 1.0;
            prev = Some(d);
        }
        let mut seen: Vec<(i32, f64)> = Vec::new();
        let events = event_days
            .iter()
            .map(|&d| {
                let (_, start, _) = knots
                    .iter()
                    .find(|k| k.0 == d)
                    .copied()
                    .unwrap_or((d, 0.0, 1.0));
                let i = match seen.iter_mut().find(|(k, _)| *k == d) {
                    Some((_, n)) => {
                        *n += 1.0;
                        *n
                    }
                    None => {
                        seen.push((d, 0.0));
                        0.0
                    }
                };
                start + i
            })
            .collect();
        Scale {
            knots,
            events,
            total: at.max(1.0),
        }
    }

    fn x(&self, unit: f64) -> f64 {
        let pad = 0.5;
        LEFT + (unit + pad) / (self.total + 2.0 * pad) * (WIDTH - LEFT - RIGHT)
    }

    /// The i-th event (in the order given to [`Scale::new`]).
    pub(super) fn event(&self, i: usize) -> f64 {
        self.x(self.events.get(i).copied().unwrap_or(0.0))
    }

    /// A day that is a knot (its first unit).
    pub(super) fn day(&self, d: i32) -> f64 {
        self.x(self.knots.iter().find(|k| k.0 == d).map_or(0.0, |k| k.1))
    }

    /// The report's date: just after that day's statements.
    fn as_of(&self, d: i32) -> f64 {
        self.x(self
            .knots
            .iter()
            .find(|k| k.0 == d)
            .map_or(0.0, |k| k.1 + k.2 - 1.0 + 0.5))
    }

    /// A tick and its date under each knot, leaving out dates that would
    /// overlap the one before.
    fn ticks(&self, axis: f64) -> String {
        let mut s = String::new();
        let mut last_end = f64::MIN;
        for &(d, start, _) in &self.knots {
            let xt = self.x(start);
            s += &format!(
                "<line class=\"tl-tick\" x1=\"{xt:.1}\" y1=\"{}\" x2=\"{xt:.1}\" y2=\"{}\"/>\n",
                axis - 3.0,
                axis + 3.0
            );
            let Ok(date) = time::Date::from_julian_day(d) else {
                continue;
            };
            if xt - 34.0 > last_end {
                s += &format!(
                    "<text class=\"tl-tick-label\" x=\"{xt:.1}\" y=\"{}\" text-anchor=\"middle\">{:04}-{:02}-{:02}</text>\n",
                    axis + 14.0,
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                );
                last_end = xt + 34.0;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_keeps_order_and_time() {
        // Three statements on one day, one a year later, a due date between.
        let s = Scale::new(&[100, 100, 100, 465], [300].into_iter());
        let xs: Vec<f64> = (0..4).map(|i| s.event(i)).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        // Same-day statements are one unit apart; the year stretches further.
        let unit = xs[1] - xs[0];
        assert!((xs[2] - xs[1] - unit).abs() < 1e-9);
        assert!(xs[3] - xs[2] > 2.0 * unit, "{xs:?}");
        let due = s.day(300);
        assert!(xs[2] < due && due < xs[3]);
        // All inside the picture.
        assert!(xs[0] > 0.0 && xs[3] < 960.0);
        // One day only: still spread out.
        let one = Scale::new(&[7, 7, 7], std::iter::empty());
        assert!(one.event(2) - one.event(0) > 100.0);
    }
}
