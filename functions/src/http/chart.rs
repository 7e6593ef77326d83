//! Run charts as accessible inline SVG, rendered on the server (no
//! JavaScript), and the same data as an HTML table to show beside it.
//!
//! The SVG is `role="img"`, labelled by its `<title>` and described by its
//! `<desc>` (the plain-language summary, the periods, the range of values,
//! the median, the target and the changes marked), so a screen reader hears
//! what a sighted reader sees; the table gives every value.
//!
//! Both are written in the language the caller gives (English or French):
//! the words, the verdict ([`Analysis::summary_in`]) and the numbers (French
//! writes `39,8 %`: a decimal comma, and a non-breaking space before the
//! unit). The periods and the marker labels are the caller's, already in
//! that language ("janvier 2025").
//!
//! Pages are served with a Content-Security-Policy without inline styles, so
//! nothing here uses a `style` attribute: the look comes from classes in the
//! site's stylesheet, and presentation attributes with `currentColor` (lines,
//! dashes, text) keep the chart readable, and printable, without it.
//!
//! | class | what |
//! |---|---|
//! | `qi-chart` | the `<svg>` |
//! | `qi-chart__axis` | the axes |
//! | `qi-chart__grid` | the horizontal lines at the y ticks |
//! | `qi-chart__tick` | y tick labels; `qi-chart__period`: x period labels |
//! | `qi-chart__series` | the line through the points |
//! | `qi-chart__point` | a point; `--signal` in the signalling run (drawn larger), `--baseline` in the baseline |
//! | `qi-chart__median`, `qi-chart__target` | the two horizontal lines |
//! | `qi-chart__label`, `--median`, `--target` | their labels |
//! | `qi-chart__marker`, `qi-chart__marker-label` | a change idea or PDSA cycle: its line and label |
//! | `qi-chart__empty` | the text of a chart with no points |
//! | `qi-chart-table` | the data table; `qi-chart-table__row--signal`: a row in the signalling run |
use std::borrow::Cow;
use std::fmt::Write;

use qi_facts::escape_html;

use crate::domain::runchart::{de, Analysis, Point, Side};
use crate::domain::Language;

/// A change marked on the chart (a PDSA cycle or change idea), at the point
/// with this index in the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub index: usize,
    pub label: String,
}

impl Marker {
    pub fn new(index: usize, label: impl Into<String>) -> Self {
        Marker { index, label: label.into() }
    }
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
/// Approximate width of a character of the 11-unit labels.
const CHAR_WIDTH: f64 = 6.5;
/// Longest marker label drawn (the full label is in the description and the table).
const MARKER_CHARS: usize = 18;

/// The chart's fixed words, in one language.
struct Words {
    /// The text of a chart with no points, and its description.
    no_data: &'static str,
    no_points: &'static str,
    /// The labels of the two lines, and their names in the description.
    median: &'static str,
    target: &'static str,
    changes_marked: &'static str,
    /// Between a name and its value ("Median: 45%"; French puts a
    /// non-breaking space before the colon).
    colon: &'static str,
    /// The table's column headings.
    period: &'static str,
    value: &'static str,
    against: &'static str,
    notes: &'static str,
    /// A value against the median, in the table.
    above: &'static str,
    below: &'static str,
    on_median: &'static str,
    missing: &'static str,
    /// The table's notes.
    baseline: &'static str,
    in_shift: &'static str,
}

const EN: Words = Words {
    no_data: "No data yet",
    no_points: "No data points yet.",
    median: "Median",
    target: "Target",
    changes_marked: "Changes marked",
    colon: ": ",
    period: "Period",
    value: "Value",
    against: "Against the median",
    notes: "Notes",
    above: "Above",
    below: "Below",
    on_median: "On the median",
    missing: "Missing",
    baseline: "Baseline",
    in_shift: "In the shift",
};

/// In the glossary's words (docs/glossary-fr.md).
const FR: Words = Words {
    no_data: "Aucune donnée pour l’instant",
    no_points: "Aucune donnée pour l’instant.",
    median: "Médiane",
    target: "Cible",
    changes_marked: "Changements indiqués",
    colon: "\u{a0}: ",
    period: "Période",
    value: "Valeur",
    against: "Par rapport à la médiane",
    notes: "Notes",
    above: "Au-dessus",
    below: "Au-dessous",
    on_median: "Sur la médiane",
    missing: "Manquante",
    baseline: "Période de départ",
    in_shift: "Dans le déplacement",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::En => &EN,
        Language::Fr => &FR,
    }
}

/// A number as people read it: about three significant digits, no trailing
/// zeros ("42", "42.5", "0.417", "1235"), the English way ([`number_in`]
/// for French).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 4) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// [`number`] in `lang`: French writes a decimal comma and groups the
/// digits of 1000 and over by three with a non-breaking space ("42,5",
/// "0,417", "12\u{a0}500").
pub fn number_in(v: f64, lang: Language) -> String {
    match lang {
        Language::En => number(v),
        Language::Fr => french_digits(&number(v)),
    }
}

/// A number written the English way ("-1234.5") written the French way
/// ("-1\u{a0}234,5"); anything else (the "–" of a missing value) as it is.
fn french_digits(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str(sign);
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && int.len() >= 4 && (int.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(digit);
    }
    if let Some(f) = frac {
        out.push(',');
        out.push_str(f);
    }
    out
}

/// The unit as written after a number in `lang`. English: as given ("%",
/// " min"); French: after a non-breaking space ("\u{a0}%", "\u{a0}min").
fn unit_in(unit: &str, lang: Language) -> Cow<'_, str> {
    match lang {
        Language::En => Cow::Borrowed(unit),
        Language::Fr => match unit.trim_start() {
            "" => Cow::Borrowed(""),
            u => Cow::Owned(format!("\u{a0}{u}")),
        },
    }
}

/// A value with its unit (already as [`unit_in`] writes it), escaped for HTML.
fn with_unit(v: f64, unit: &str, lang: Language) -> String {
    escape_html(&format!("{}{unit}", number_in(v, lang)))
}

/// A coordinate to one decimal, written with integer arithmetic (float
/// formatting was most of the time of a 500-point chart).
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let a = tenths.unsigned_abs();
        write!(f, "{sign}{}.{}", a / 10, a % 10)
    }
}

/// The y axis: from `lo` to `hi` in `count` ticks `step` apart, labelled
/// with `decimals` decimals.
#[derive(Debug, Clone, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    count: usize,
    decimals: usize,
}

impl Axis {
    /// Round ticks covering `min..=max`: a step of 1, 2, 2.5 or 5 times a
    /// power of ten, the smallest that needs at most 6 ticks (which then
    /// needs at least 4: the candidate steps grow by at most 2.5 times).
    fn new(min: f64, max: f64) -> Axis {
        let (mut min, mut max) = (min, max);
        if max - min <= 1e-9 * max.abs().max(min.abs()) {
            let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
            min -= pad;
            max += pad;
        }
        let exponent = ((max - min) / 5.0).log10().floor() as i32;
        let mut last = None;
        for e in exponent - 1..=exponent + 2 {
            for (mantissa, extra) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0)] {
                let step = mantissa * 10f64.powi(e);
                let lo = ((min / step) + 1e-9).floor() * step;
                let hi = ((max / step) - 1e-9).ceil() * step;
                let count = ((hi - lo) / step).round() as usize + 1;
                let axis = Axis { lo, hi, step, count, decimals: (extra - e).max(0) as usize };
                if count <= 6 {
                    return axis;
                }
                last = Some(axis);
            }
        }
        // Not reached (a step of 10^(exponent + 1) needs at most 4 ticks);
        // the coarsest candidate otherwise.
        last.unwrap_or(Axis { lo: min, hi: max, step: max - min, count: 2, decimals: 2 })
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.count).map(|i| self.lo + self.step * i as f64)
    }

    /// A tick's label, with the unit as [`unit_in`] writes it.
    fn label(&self, v: f64, unit: &str, lang: Language) -> String {
        let decimals = self.decimals;
        let v = if v.abs() < self.step * 1e-6 { 0.0 } else { v };
        match lang {
            Language::En => escape_html(&format!("{v:.decimals$}{unit}")),
            Language::Fr => escape_html(&format!("{}{unit}", french_digits(&format!("{v:.decimals$}")))),
        }
    }
}

/// An id for the chart's title and description, from its content (charts
/// on one page differ in title or data).
fn chart_id(title: &str, points: &[Point]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(title.as_bytes());
    for p in points {
        eat(p.period.as_bytes());
        eat(&p.value.to_bits().to_le_bytes());
    }
    format!("qi-chart-{hash:016x}")
}

/// At most `max` characters, with an ellipsis when cut.
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max - 1).collect::<String>().trim_end().to_string();
        s.push('…');
        s
    }
}

/// The description: the summary, then the data in words. `unit` as
/// [`unit_in`] writes it.
fn description(points: &[Point], analysis: &Analysis, target: Option<f64>, markers: &[Marker], unit: &str, lang: Language) -> String {
    let w = words(lang);
    let finite: Vec<&Point> = points.iter().filter(|p| p.value.is_finite()).collect();
    let (Some(first), Some(last)) = (finite.first(), finite.last()) else {
        return w.no_points.to_string();
    };
    let min = finite.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let max = finite.iter().map(|p| p.value).fold(f64::NEG_INFINITY, f64::max);
    let num = |v: f64| number_in(v, lang);
    let mut d = analysis.summary_in(lang);
    match (finite.len(), lang) {
        (1, Language::En) => {
            let _ = write!(d, " 1 value, for {}: {}{unit}.", first.period, num(first.value));
        }
        (1, Language::Fr) => {
            let _ = write!(d, " Une seule valeur, celle {}\u{a0}: {}{unit}.", de(&first.period), num(first.value));
        }
        (n, Language::En) => {
            let _ = write!(
                d,
                " {n} values from {} to {}, ranging from {}{unit} to {}{unit}; the latest is {}{unit}.",
                first.period,
                last.period,
                num(min),
                num(max),
                num(last.value)
            );
        }
        (n, Language::Fr) => {
            let _ = write!(
                d,
                " {n} valeurs, {} à {}, comprises entre {}{unit} et {}{unit}; la plus récente est de {}{unit}.",
                de(&first.period),
                last.period,
                num(min),
                num(max),
                num(last.value)
            );
        }
    }
    if let Some(m) = analysis.median {
        let _ = write!(d, " {}{}{}{unit}.", w.median, w.colon, num(m));
    }
    if let Some(t) = target.filter(|t| t.is_finite()) {
        let _ = write!(d, " {}{}{}{unit}.", w.target, w.colon, num(t));
    }
    let marked: Vec<String> = markers.iter().filter_map(|m| points.get(m.index).map(|p| format!("{} ({})", m.label, p.period))).collect();
    if !marked.is_empty() {
        let _ = write!(d, " {}{}{}.", w.changes_marked, w.colon, marked.join("; "));
    }
    d
}

/// A run chart as inline SVG: the series with its points, the median
/// (dashed, "Median", « Médiane »), the target ("Target", « Cible »),
/// vertical lines at the `markers`, period labels along the x axis (thinned
/// out when there are many) and 4 to 6 round values up the y axis. `unit` is appended to every
/// value ("%", " min"; in French after a non-breaking space). Every text is
/// escaped. The chart's words and numbers are in `lang`; the title, the
/// periods and the marker labels are written as given.
pub fn run_chart_svg(
    title: &str,
    points: &[Point],
    analysis: &Analysis,
    target: Option<f64>,
    markers: &[Marker],
    unit: &str,
    lang: Language,
) -> String {
    let w = words(lang);
    let unit = &*unit_in(unit, lang);
    let id = chart_id(title, points);
    let target = target.filter(|t| t.is_finite());
    let mut svg = String::with_capacity(2048 + points.len() * 160);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="qi-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_html(title),
        escape_html(&description(points, analysis, target, markers, unit, lang)),
    );

    let values: Vec<f64> = points.iter().map(|p| p.value).filter(|v| v.is_finite()).collect();
    if values.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="qi-chart__empty" x="{}" y="{}" text-anchor="middle" font-size="14" fill="currentColor">{}</text></svg>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0,
            w.no_data
        );
        return svg;
    }

    // The y range: every value, the median and the target.
    let extra = analysis.median.into_iter().chain(target);
    let min = values.iter().copied().chain(extra.clone()).fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().chain(extra).fold(f64::NEG_INFINITY, f64::max);
    let axis = Axis::new(min, max);

    // The plot area, leaving room for the labels around it.
    let widest_tick = axis.ticks().map(|t| axis.label(t, unit, lang).chars().count()).max().unwrap_or(1);
    let left = (widest_tick as f64 * CHAR_WIDTH + 14.0).max(36.0);
    let right = WIDTH - 60.0;
    let top = if markers.is_empty() { 16.0 } else { 44.0 };
    let bottom = HEIGHT - 36.0;
    let n = points.len();
    let band = (right - left) / n as f64;
    let x = |i: usize| left + band * (i as f64 + 0.5);
    let y = |v: f64| bottom - (v - axis.lo) / (axis.hi - axis.lo) * (bottom - top);

    // The y axis: grid lines and tick labels.
    svg.push_str(r#"<g class="qi-chart__axis" fill="currentColor" font-size="11">"#);
    for t in axis.ticks() {
        let ty = y(t);
        let _ = write!(
            svg,
            r#"<line class="qi-chart__grid" x1="{left:.1}" x2="{right:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="currentColor" stroke-opacity="0.15"/><text class="qi-chart__tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 6.0,
            ty + 4.0,
            axis.label(t, unit, lang)
        );
    }
    let _ = write!(
        svg,
        r#"<line x1="{left:.1}" x2="{left:.1}" y1="{top:.1}" y2="{bottom:.1}" stroke="currentColor"/><line x1="{left:.1}" x2="{right:.1}" y1="{bottom:.1}" y2="{bottom:.1}" stroke="currentColor"/>"#
    );
    // The x axis: period labels, thinned out to fit.
    let widest_period = points.iter().map(|p| p.period.chars().count()).max().unwrap_or(1).max(1);
    let fits = (((right - left) / (widest_period as f64 * CHAR_WIDTH + 10.0)).floor() as usize).max(1);
    let every = n.div_ceil(fits);
    for (i, p) in points.iter().enumerate().step_by(every) {
        let px = x(i);
        let _ = write!(
            svg,
            r#"<line x1="{px:.1}" x2="{px:.1}" y1="{bottom:.1}" y2="{:.1}" stroke="currentColor"/><text class="qi-chart__period" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            bottom + 4.0,
            bottom + 18.0,
            escape_html(&p.period)
        );
    }
    svg.push_str("</g>");

    // Markers: a vertical line and a short label above the plot, in two
    // rows so that neighbours overlap less.
    for (k, m) in markers.iter().filter(|m| m.index < n).enumerate() {
        let mx = x(m.index);
        let ly = if k % 2 == 0 { 14.0 } else { 30.0 };
        let _ = write!(
            svg,
            r#"<g class="qi-chart__marker"><title>{}</title><line x1="{mx:.1}" x2="{mx:.1}" y1="{:.1}" y2="{bottom:.1}" stroke="currentColor" stroke-dasharray="1 3"/><text class="qi-chart__marker-label" x="{:.1}" y="{ly:.1}" font-size="11" fill="currentColor">{}</text></g>"#,
            escape_html(&m.label),
            ly + 4.0,
            mx + 3.0,
            escape_html(&short(&m.label, MARKER_CHARS))
        );
    }

    // The median and the target, labelled at the right.
    let median_y = analysis.median.map(y);
    if let Some(my) = median_y {
        let _ = write!(
            svg,
            r#"<line class="qi-chart__median" x1="{left:.1}" x2="{right:.1}" y1="{my:.1}" y2="{my:.1}" stroke="currentColor" stroke-width="1.5" stroke-dasharray="8 5"/><text class="qi-chart__label qi-chart__label--median" x="{:.1}" y="{:.1}" font-size="11" fill="currentColor">{}</text>"#,
            right + 6.0,
            my + 4.0,
            w.median
        );
    }
    if let Some(t) = target {
        let ty = y(t);
        // Keep the two labels apart when the lines are close.
        let label_y = match median_y {
            Some(my) if (my - ty).abs() < 12.0 => {
                if ty <= my {
                    my - 12.0
                } else {
                    my + 12.0
                }
            }
            _ => ty,
        };
        let _ = write!(
            svg,
            r#"<line class="qi-chart__target" x1="{left:.1}" x2="{right:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="currentColor" stroke-width="2" stroke-dasharray="2 3"/><text class="qi-chart__label qi-chart__label--target" x="{:.1}" y="{:.1}" font-size="11" fill="currentColor">{}</text>"#,
            right + 6.0,
            label_y + 4.0,
            w.target
        );
    }

    // The series and its points.
    svg.push_str(r#"<polyline class="qi-chart__series" fill="none" stroke="currentColor" stroke-width="1.5" points=""#);
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.value.is_finite()) {
        let _ = write!(svg, "{},{} ", Tenths(x(i)), Tenths(y(p.value)));
    }
    svg.push_str(r#""/><g class="qi-chart__points" fill="currentColor">"#);
    let radius = (band / 2.5).clamp(1.5, 3.5);
    let (radius, signal_radius) = (Tenths(radius), Tenths(radius * 1.5));
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.value.is_finite()) {
        let signal = analysis.in_signal_run(i);
        let class = match (signal, p.baseline) {
            (true, true) => "qi-chart__point qi-chart__point--signal qi-chart__point--baseline",
            (true, false) => "qi-chart__point qi-chart__point--signal",
            (false, true) => "qi-chart__point qi-chart__point--baseline",
            (false, false) => "qi-chart__point",
        };
        let r = if signal { &signal_radius } else { &radius };
        let _ = write!(
            svg,
            r#"<circle class="{class}" cx="{}" cy="{}" r="{r}"><title>{}{}{}</title></circle>"#,
            Tenths(x(i)),
            Tenths(y(p.value)),
            escape_html(&p.period),
            w.colon,
            with_unit(p.value, unit, lang)
        );
    }
    svg.push_str("</g></svg>");
    svg
}

/// The chart's data as an accessible table: each period, its value, its
/// side of the median, and notes (baseline, in the signalling run, the
/// changes marked at it), in `lang` as [`run_chart_svg`] is.
pub fn data_table_html(caption: &str, points: &[Point], analysis: &Analysis, markers: &[Marker], unit: &str, lang: Language) -> String {
    let w = words(lang);
    let unit = &*unit_in(unit, lang);
    let mut html = String::with_capacity(512 + points.len() * 120);
    let _ = write!(
        html,
        r#"<table class="qi-chart-table"><caption>{}</caption><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>"#,
        escape_html(caption),
        w.period,
        w.value,
        w.against,
        w.notes
    );
    for (i, p) in points.iter().enumerate() {
        let signal = analysis.in_signal_run(i);
        let (value, against) = if p.value.is_finite() {
            let against = match (analysis.median, analysis.side(p.value)) {
                (None, _) => "–",
                (Some(_), Some(Side::Above)) => w.above,
                (Some(_), Some(Side::Below)) => w.below,
                (Some(_), None) => w.on_median,
            };
            (with_unit(p.value, unit, lang), against)
        } else {
            ("–".to_string(), w.missing)
        };
        let mut notes: Vec<String> = Vec::new();
        if p.baseline {
            notes.push(w.baseline.to_string());
        }
        if signal {
            notes.push(w.in_shift.to_string());
        }
        notes.extend(markers.iter().filter(|m| m.index == i).map(|m| escape_html(&m.label)));
        let row_class = if signal { r#" class="qi-chart-table__row--signal""# } else { "" };
        let _ = write!(
            html,
            r#"<tr{row_class}><th scope="row">{}</th><td>{value}</td><td>{against}</td><td>{}</td></tr>"#,
            escape_html(&p.period),
            notes.join("; ")
        );
    }
    html.push_str("</tbody></table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::runchart::{analyse, Direction};
    use Language::{En, Fr};

    /// A rough check that the markup is well formed: every element opened is
    /// closed in order, and no attribute is a `style`.
    fn check_tags(markup: &str) {
        assert!(!markup.contains("style="), "no inline style: {markup}");
        let mut open: Vec<&str> = Vec::new();
        let mut rest = markup;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("a tag ends") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            assert!(!tag.contains('<'), "no '<' inside a tag: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                open.push(tag.split_whitespace().next().expect("a tag name"));
            }
        }
        assert!(open.is_empty(), "unclosed: {open:?}");
    }

    fn monthly(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Point { period: format!("{}-{:02}", 2025 + i / 12, i % 12 + 1), value: v, baseline: i < 10 })
            .collect()
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(42.1667), "42.2");
        assert_eq!(number(0.41666), "0.417");
        assert_eq!(number(0.05), "0.05");
        assert_eq!(number(1234.5), "1234");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-3.5), "-3.5");
        assert_eq!(number(-0.00001), "0");
        assert_eq!(short("PDSA 1: reminder letters", 18), "PDSA 1: reminder…");
        assert_eq!(short("PDSA 2", 18), "PDSA 2");
        assert_eq!(Tenths(12.34).to_string(), format!("{:.1}", 12.34));
        assert_eq!(Tenths(-0.26).to_string(), "-0.3");
        assert_eq!(Tenths(0.04).to_string(), "0.0");
        assert_eq!(Tenths(359.96).to_string(), "360.0");
    }

    #[test]
    fn y_axis_has_four_to_six_round_ticks() {
        for (min, max) in
            [(0.0, 100.0), (37.0, 57.0), (0.1, 0.9), (3.0, 3.0), (0.0, 0.0), (-5.0, 12.0), (1.0, 1234.0), (41.2, 41.9), (0.0, 1.0)]
        {
            let axis = Axis::new(min, max);
            assert!((4..=6).contains(&axis.count), "{min}..{max}: {axis:?}");
            assert!(axis.lo <= min && axis.hi >= max, "{min}..{max}: {axis:?}");
            let labels: Vec<String> = axis.ticks().map(|t| axis.label(t, "", En)).collect();
            for l in &labels {
                // round: at most one significant decimal beyond the step's
                assert!(l.len() <= 6, "{min}..{max}: {labels:?}");
            }
        }
        let axis = Axis::new(0.0, 100.0);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "%", En)).collect::<Vec<_>>(), ["0%", "20%", "40%", "60%", "80%", "100%"]);
        let axis = Axis::new(1.0, 1234.0);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "", En)).collect::<Vec<_>>(), ["0", "250", "500", "750", "1000", "1250"]);
        let axis = Axis::new(0.1, 0.9);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "", En)).collect::<Vec<_>>(), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    }

    #[test]
    fn chart_has_its_parts_and_escapes_every_text() {
        let mut points =
            monthly(&[40.0, 42.0, 38.0, 41.0, 39.0, 43.0, 37.0, 40.5, 39.5, 39.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0]);
        points[3].period = "Apr <2025> & \"more\"".to_string();
        let analysis = analyse(&points, Direction::HigherIsBetter, Some(60.0));
        let markers = [Marker::new(10, "PDSA 1: <reminder> & call"), Marker::new(14, "PDSA 2"), Marker::new(99, "beyond the data")];
        let svg = run_chart_svg("Allergy status <recorded> & \"checked\"", &points, &analysis, Some(60.0), &markers, "%", En);
        check_tags(&svg);
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains(r#"role="img""#));
        let id = chart_id("Allergy status <recorded> & \"checked\"", &points);
        assert!(svg.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)));
        assert!(svg.contains(&format!(r#"<title id="{id}-title">Allergy status &lt;recorded&gt; &amp; &quot;checked&quot;</title>"#)));
        // the description: the summary and the range
        let desc_start = svg.find(&format!(r#"<desc id="{id}-desc">"#)).unwrap();
        let desc = &svg[desc_start..svg[desc_start..].find("</desc>").unwrap() + desc_start];
        assert!(desc.contains("Shift: the last 8 points are above the baseline median"), "{desc}");
        assert!(desc.contains("18 values from 2025-01 to 2026-06, ranging from 37% to 57%; the latest is 57%."), "{desc}");
        assert!(desc.contains("Median: 39.8%. Target: 60%."), "{desc}");
        assert!(desc.contains("Changes marked: PDSA 1: &lt;reminder&gt; &amp; call (2025-11); PDSA 2 (2026-03)."), "{desc}");
        assert!(!desc.contains("beyond the data"));
        // one circle per point, 8 of them in the signalling run
        assert_eq!(svg.matches("<circle ").count(), 18);
        assert_eq!(svg.matches("qi-chart__point--signal").count(), 8);
        assert_eq!(svg.matches("qi-chart__point--baseline").count(), 10);
        assert_eq!(svg.matches("<polyline class=\"qi-chart__series\"").count(), 1);
        // the lines and their labels
        assert!(svg.contains(r#"class="qi-chart__median""#) && svg.contains(">Median</text>"));
        assert!(svg.contains(r#"class="qi-chart__target""#) && svg.contains(">Target</text>"));
        assert_eq!(svg.matches(r#"<g class="qi-chart__marker">"#).count(), 2);
        assert!(svg.contains("<title>PDSA 1: &lt;reminder&gt; &amp; call</title>"));
        assert!(svg.contains(">PDSA 1: &lt;reminder…</text>"), "{svg}");
        // the escaped period label, in its point's tooltip
        assert!(svg.contains("<title>Apr &lt;2025&gt; &amp; &quot;more&quot;: 41%</title>"));
        assert!(!svg.contains("<2025>") && !svg.contains("<recorded>") && !svg.contains("<reminder>"));
        // y ticks: 4 to 6 round values with the unit
        let ticks = svg.matches(r#"class="qi-chart__tick""#).count();
        assert!((4..=6).contains(&ticks), "{ticks} ticks");
        assert!(svg.contains(">40%</text>"), "{svg}");
    }

    #[test]
    fn five_hundred_points() {
        let values: Vec<f64> = (0..500).map(|i| 50.0 + ((i * 37) % 23) as f64 - if i >= 400 { 0.0 } else { 11.0 }).collect();
        let points: Vec<Point> =
            values.iter().enumerate().map(|(i, &v)| Point { period: format!("W{}", i + 1), value: v, baseline: i < 20 }).collect();
        let analysis = analyse(&points, Direction::LowerIsBetter, Some(45.0));
        let markers: Vec<Marker> = (0..10).map(|k| Marker::new(k * 50, format!("PDSA {}", k + 1))).collect();
        let svg = run_chart_svg("Wait time", &points, &analysis, Some(45.0), &markers, " min", En);
        check_tags(&svg);
        assert_eq!(svg.matches("<circle ").count(), 500);
        // the period labels are thinned out to fit, the first one kept
        let labels = svg.matches(r#"class="qi-chart__period""#).count();
        assert!((5..=60).contains(&labels), "{labels} period labels");
        assert!(svg.contains(">W1</text>"));
        // coordinates stay inside the view box
        for cy in svg.split(" cy=\"").skip(1).map(|s| s[..s.find('"').unwrap()].parse::<f64>().unwrap()) {
            assert!((0.0..=HEIGHT).contains(&cy), "{cy}");
        }
        let table = data_table_html("Wait time", &points, &analysis, &markers, " min", En);
        check_tags(&table);
        assert_eq!(table.matches("<tr").count(), 501);
    }

    #[test]
    fn charts_with_few_or_no_points() {
        let empty = analyse(&[], Direction::HigherIsBetter, None);
        let svg = run_chart_svg("Nothing yet", &[], &empty, None, &[], "", En);
        check_tags(&svg);
        assert!(svg.contains("No data yet") && svg.contains("No data points yet."));
        assert_eq!(svg.matches("<circle").count(), 0);

        let one = vec![Point::new("March 2026", 12.0)];
        let analysis = analyse(&one, Direction::HigherIsBetter, Some(12.0));
        let svg = run_chart_svg("One", &one, &analysis, Some(12.0), &[Marker::new(0, "Start")], "", En);
        check_tags(&svg);
        assert_eq!(svg.matches("<circle ").count(), 1);
        assert!(svg.contains("Not enough data yet to judge: 0 of the 10 points needed. 1 point is on the median and not counted. 1 value, for March 2026: 12."), "{svg}");
    }

    #[test]
    fn table_gives_every_value_and_its_side() {
        let mut points = monthly(&[5.0, 9.0, 1.0, 5.0, f64::NAN]);
        points[1].period = "Feb <b>".to_string();
        let analysis = analyse(&points, Direction::HigherIsBetter, None);
        let table = data_table_html("Data <for> the chart", &points, &analysis, &[Marker::new(2, "Idea & test")], "%", En);
        check_tags(&table);
        assert!(table.contains("<caption>Data &lt;for&gt; the chart</caption>"));
        assert!(table.contains(r#"<th scope="row">Feb &lt;b&gt;</th><td>9%</td><td>Above</td><td>Baseline</td>"#), "{table}");
        assert!(table.contains("<td>1%</td><td>Below</td><td>Baseline; Idea &amp; test</td>"), "{table}");
        assert!(table.contains("<td>5%</td><td>On the median</td>"));
        assert!(table.contains("<td>–</td><td>Missing</td>"));
        assert_eq!(table.matches("<tr>").count(), 6);
    }

    /// [`monthly`] with French month labels ("janvier 2025").
    fn monthly_fr(values: &[f64]) -> Vec<Point> {
        let mut points = monthly(values);
        for (i, p) in points.iter_mut().enumerate() {
            p.period = format!("{} {}", crate::domain::month_name((i % 12) as u32, Fr), 2025 + i / 12);
        }
        points
    }

    #[test]
    fn french_numbers_have_a_decimal_comma_and_a_space_before_the_unit() {
        assert_eq!(number_in(42.1667, Fr), "42,2");
        assert_eq!(number_in(0.41666, Fr), "0,417");
        assert_eq!(number_in(42.0, Fr), "42");
        assert_eq!(number_in(-3.5, Fr), "-3,5");
        assert_eq!(number_in(1234.5, Fr), "1\u{a0}234");
        assert_eq!(number_in(12_500.0, Fr), "12\u{a0}500");
        assert_eq!(number_in(-1_234_567.0, Fr), "-1\u{a0}234\u{a0}567");
        assert_eq!(number_in(999.0, Fr), "999");
        assert_eq!(number_in(f64::NAN, Fr), "–");
        assert_eq!(number_in(1234.5, En), "1234");
        assert_eq!(unit_in("%", Fr), "\u{a0}%");
        assert_eq!(unit_in(" min", Fr), "\u{a0}min");
        assert_eq!(unit_in("", Fr), "");
        assert_eq!(unit_in(" min", En), " min");
        assert_eq!(with_unit(39.75, &unit_in("%", Fr), Fr), "39,8\u{a0}%");
        let axis = Axis::new(0.1, 0.9);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "", Fr)).collect::<Vec<_>>(), ["0,0", "0,2", "0,4", "0,6", "0,8", "1,0"]);
        let axis = Axis::new(0.0, 100.0);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "\u{a0}%", Fr)).collect::<Vec<_>>()[..2], ["0\u{a0}%", "20\u{a0}%"]);
        let axis = Axis::new(1.0, 1234.0);
        assert_eq!(axis.ticks().map(|t| axis.label(t, "", Fr)).collect::<Vec<_>>()[4..], ["1\u{a0}000", "1\u{a0}250"]);
    }

    #[test]
    fn a_french_chart_is_in_french() {
        let points =
            monthly_fr(&[40.0, 42.0, 38.0, 41.0, 39.0, 43.0, 37.0, 40.5, 39.5, 39.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0]);
        let analysis = analyse(&points, Direction::HigherIsBetter, Some(60.0));
        let markers = [Marker::new(10, "PFEA 1\u{a0}: rappels"), Marker::new(14, "PFEA 2")];
        let title = "Statut allergique consigné";
        let svg = run_chart_svg(title, &points, &analysis, Some(60.0), &markers, "%", Fr);
        check_tags(&svg);
        let id = chart_id(title, &points);
        let desc_start = svg.find(&format!(r#"<desc id="{id}-desc">"#)).unwrap();
        let desc = &svg[desc_start..svg[desc_start..].find("</desc>").unwrap() + desc_start];
        // the verdict, as the analysis words it in French
        assert!(desc.contains(&escape_html(&analysis.summary_in(Fr))), "{desc}");
        assert!(
            desc.contains(
                "Déplacement\u{a0}: les 8 derniers points sont au-dessus de la médiane de la période de départ, \
                 ce qui a peu de chances d’être dû au hasard. Une hausse est souhaitable\u{a0}: il s’agit donc d’une amélioration."
            ),
            "{desc}"
        );
        assert!(
            desc.contains(
                "18 valeurs, de janvier 2025 à juin 2026, comprises entre 37\u{a0}% et 57\u{a0}%; la plus récente est de 57\u{a0}%."
            ),
            "{desc}"
        );
        assert!(desc.contains("Médiane\u{a0}: 39,8\u{a0}%. Cible\u{a0}: 60\u{a0}%."), "{desc}");
        assert!(desc.contains("Changements indiqués\u{a0}: PFEA 1\u{a0}: rappels (novembre 2025); PFEA 2 (mars 2026)."), "{desc}");
        // the lines' labels, the ticks and the points' tooltips
        assert!(svg.contains(">Médiane</text>") && svg.contains(">Cible</text>"), "{svg}");
        assert!(svg.contains(">40\u{a0}%</text>"), "{svg}");
        assert!(svg.contains("<title>avril 2025\u{a0}: 41\u{a0}%</title>"), "{svg}");
        assert!(svg.contains("<title>août 2025\u{a0}: 40,5\u{a0}%</title>"), "{svg}");
        for english in ["Median", "Target", "Shift", "values", "Changes marked", "40%"] {
            assert!(!svg.contains(english), "no {english:?} in the French chart: {svg}");
        }

        let table = data_table_html("Les données", &points, &analysis, &markers, "%", Fr);
        check_tags(&table);
        assert!(table.contains(
            r#"<th scope="col">Période</th><th scope="col">Valeur</th><th scope="col">Par rapport à la médiane</th><th scope="col">Notes</th>"#
        ));
        assert!(
            table.contains("<th scope=\"row\">février 2025</th><td>42\u{a0}%</td><td>Au-dessus</td><td>Période de départ</td>"),
            "{table}"
        );
        assert!(table.contains("<th scope=\"row\">août 2025</th><td>40,5\u{a0}%</td><td>Au-dessus</td>"), "{table}");
        assert!(
            table.contains("<th scope=\"row\">mars 2025</th><td>38\u{a0}%</td><td>Au-dessous</td><td>Période de départ</td>"),
            "{table}"
        );
        assert!(
            table.contains("<th scope=\"row\">novembre 2025</th><td>50\u{a0}%</td><td>Au-dessus</td><td>Dans le déplacement; PFEA 1\u{a0}: rappels</td>"),
            "{table}"
        );
    }

    #[test]
    fn a_french_table_says_on_the_median_and_missing() {
        let points = monthly_fr(&[5.0, 9.0, 1.0, 5.0, f64::NAN]);
        let analysis = analyse(&points, Direction::HigherIsBetter, None);
        let table = data_table_html("Données", &points, &analysis, &[], " min", Fr);
        assert!(table.contains("<td>9\u{a0}min</td><td>Au-dessus</td><td>Période de départ</td>"), "{table}");
        assert!(table.contains("<td>5\u{a0}min</td><td>Sur la médiane</td>"), "{table}");
        assert!(table.contains("<td>–</td><td>Manquante</td>"), "{table}");
    }

    #[test]
    fn french_charts_with_few_or_no_points() {
        let empty = analyse(&[], Direction::HigherIsBetter, None);
        let svg = run_chart_svg("Rien encore", &[], &empty, None, &[], "", Fr);
        check_tags(&svg);
        assert!(svg.contains(">Aucune donnée pour l’instant</text>") && svg.contains(">Aucune donnée pour l’instant.</desc>"), "{svg}");

        let one = vec![Point::new("avril 2026", 12.5)];
        let analysis = analyse(&one, Direction::LowerIsBetter, None);
        let svg = run_chart_svg("Une", &one, &analysis, None, &[], " min", Fr);
        check_tags(&svg);
        assert!(
            svg.contains(
                "Pas encore assez de données pour se prononcer\u{a0}: 0 des 10 points nécessaires. \
                 1 point se trouve sur la médiane et n’est pas compté. Une seule valeur, celle d’avril 2026\u{a0}: 12,5\u{a0}min. Médiane\u{a0}: 12,5\u{a0}min.</desc>"
            ),
            "{svg}"
        );
    }
}
