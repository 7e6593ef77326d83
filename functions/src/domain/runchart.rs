//! Run-chart analysis by Anhøj's rules, as used in healthcare improvement.
//!
//! A run chart plots a measure over time around its median. Two tests tell a
//! change in the process from chance variation (Anhøj 2014, 2015; the rules
//! of the `qicharts2` package):
//!
//! - **Unusually long run.** A run is a sequence of consecutive useful points
//!   on the same side of the median. With `n` useful points, a run longer
//!   than `round(log2(n) + 3)` signals a shift.
//! - **Unusually few crossings.** A crossing is two consecutive useful points
//!   on opposite sides of the median. In a random process the number of
//!   crossings follows Binomial(n − 1, ½); fewer crossings than its lower 5%
//!   quantile (R's `qbinom(0.05, n - 1, 0.5)`) signals a change.
//!
//! **Useful points** are the points not on the median: a point on the median
//! neither breaks a run nor adds to it, and is not counted in `n`.
//!
//! **The centre line.** If at least [`MIN_USEFUL`] points are marked as the
//! baseline, the median of those points is used and stays fixed ("frozen")
//! as later points arrive, so that a change after the baseline can show as a
//! run. Otherwise (no baseline, or a baseline of fewer than 10 points) the
//! median of all points is used, and moves as points are added.
//!
//! The runs and crossings are always counted over the whole series.
//!
//! **Enough data.** With fewer than [`MIN_USEFUL`] useful points the rules
//! make no judgement: there are not enough points for a run or a lack of
//! crossings to mean anything.
//!
//! Values that are not finite numbers (NaN, infinities) are treated as
//! missing: they take no part in the median, the runs or the crossings.
use std::cmp::Ordering;

use serde::Serialize;

use super::values::Language;

/// The fewest useful points for a judgement, and the fewest baseline points
/// for a frozen baseline median.
pub const MIN_USEFUL: usize = 10;

/// One data point, in time order with the others.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The period as people read it ("March 2026", "2026-W11").
    pub period: String,
    pub value: f64,
    /// Part of the baseline period (before the changes were tried).
    pub baseline: bool,
}

impl Point {
    /// A point after the baseline period.
    pub fn new(period: impl Into<String>, value: f64) -> Self {
        Point { period: period.into(), value, baseline: false }
    }
    /// A point of the baseline period.
    pub fn baseline(period: impl Into<String>, value: f64) -> Self {
        Point { period: period.into(), value, baseline: true }
    }
}

/// Which way the measure should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

impl Direction {
    /// The side of the median where improvement lies.
    pub fn better_side(self) -> Side {
        match self {
            Direction::HigherIsBetter => Side::Above,
            Direction::LowerIsBetter => Side::Below,
        }
    }
}

/// A useful point's side of the median.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Above,
    Below,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Above => "above",
            Side::Below => "below",
        }
    }
    /// The side in French, with its preposition: "au-dessus de", "au-dessous de".
    pub fn fr(self) -> &'static str {
        match self {
            Side::Above => "au-dessus de",
            Side::Below => "au-dessous de",
        }
    }
}

/// Where the centre line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Centre {
    /// The median of the baseline points (at least [`MIN_USEFUL`] of them), frozen.
    Baseline,
    /// Fewer baseline points than that, but at least [`MIN_USEFUL`] points
    /// in all: the median of the first [`MIN_USEFUL`], frozen (so that a
    /// change after them does not drag the centre line with it).
    FirstPoints,
    /// Fewer than [`MIN_USEFUL`] points: the median of every point so far.
    AllPoints,
}

/// A run of useful points on one side of the median.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub side: Side,
    /// Useful points in the run (points on the median inside it not counted).
    pub len: usize,
    /// Index of the run's first and last point in the series given.
    pub first: usize,
    pub last: usize,
    /// Their periods.
    pub first_period: String,
    pub last_period: String,
}

/// What the rules say about a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Points given with a finite value.
    pub points: usize,
    /// Index of the last point with a finite value (for "the last 8 points").
    pub last_index: Option<usize>,
    /// The centre line; `None` when there are no points.
    pub median: Option<f64>,
    pub centre: Centre,
    /// Points not on the median (the `n` of the rules).
    pub useful: usize,
    pub longest_run: usize,
    /// A longest run above this signals a shift: `round(log2(n) + 3)`.
    pub longest_run_limit: usize,
    pub crossings: usize,
    /// Fewer crossings than this signals a change: `qbinom(0.05, n − 1, ½)`.
    pub crossings_limit: usize,
    /// Longest run > limit (only with enough data).
    pub shift: bool,
    /// Crossings < limit (only with enough data).
    pub few_crossings: bool,
    /// At least [`MIN_USEFUL`] useful points.
    pub enough_data: bool,
    /// The run the latest useful point belongs to: its side and length.
    pub last_run: Option<(Side, usize)>,
    /// With a shift: the most recent run longer than the limit.
    pub signal_run: Option<Run>,
    /// With a signal, whether it lies on the better side: the signalling run's
    /// side for a shift, else the side of the last run. `None` without a signal.
    pub improvement: Option<bool>,
    pub direction: Direction,
    pub target: Option<f64>,
    /// Whether the latest point meets the target (at or beyond it, in the
    /// better direction). `None` without a target or without points.
    pub target_met: Option<bool>,
}

/// A value's side of the median, or `None` when it is on the median (or not
/// a finite number). Values within a billionth (relative) of the median
/// count as on it, so that a proportion worked out two ways (0.1 + 0.2 and
/// 0.3) still lands on it.
pub fn side_of(value: f64, median: f64) -> Option<Side> {
    if !value.is_finite() || !median.is_finite() {
        return None;
    }
    let tolerance = 1e-9 * value.abs().max(median.abs());
    if (value - median).abs() <= tolerance {
        None
    } else if value > median {
        Some(Side::Above)
    } else {
        Some(Side::Below)
    }
}

/// The median as R computes it: the middle value, or the mean of the two
/// middle values.
fn median_of(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// The upper limit for the longest run with `useful` useful points:
/// `round(log2(n) + 3)` (0 for no points). `log2(n) + 3` is never exactly
/// half-way between integers for a whole `n`, so R's rounding (half to even)
/// and Rust's (half away from zero) agree.
pub fn longest_run_limit(useful: usize) -> usize {
    if useful == 0 {
        return 0;
    }
    ((useful as f64).log2() + 3.0).round() as usize
}

/// The lower limit for the number of crossings with `useful` useful points:
/// `qbinom(0.05, n - 1, 0.5)` as R defines it, the smallest `c` with
/// P(X ≤ c) ≥ 0.05 for X ~ Binomial(n − 1, ½).
///
/// Computed exactly, with integers: P(X ≤ c) = Σ_{i ≤ c} C(m, i) / 2^m, so
/// the test is 20 · Σ_{i ≤ c} C(m, i) ≥ 2^m. The binomial coefficients
/// outgrow `u128` from m ≈ 130 on (a 500-point chart has m = 499), so they
/// are kept in a small unsigned big integer below. No crate is used: a
/// statistics crate (e.g. `statrs`) would bring a dependency tree for one
/// sum, and compute it in floating point, which needs an argument about
/// rounding near the 5% boundary that exact integers do not. (R computes in
/// floating point with a small fuzz towards the lower value; the exact
/// answer agrees with its published table, which the tests check.)
pub fn crossings_limit(useful: usize) -> usize {
    let m = useful.saturating_sub(1);
    let two_to_m = BigUint::power_of_two(m);
    let mut coefficient = BigUint::one(); // C(m, 0)
    let mut twenty_times_sum = BigUint::zero();
    for c in 0..=m {
        twenty_times_sum.add(&coefficient.times(20));
        if twenty_times_sum >= two_to_m {
            return c;
        }
        // C(m, c + 1) = C(m, c) · (m − c) / (c + 1), exactly.
        coefficient = coefficient.times((m - c) as u64).divided_by((c + 1) as u64);
    }
    m // not reached: the sum reaches 2^m at c = m
}

/// The runs of a sequence of sides: (side, length, first index, last index).
fn runs(sides: &[(usize, Side)]) -> Vec<(Side, usize, usize, usize)> {
    let mut out: Vec<(Side, usize, usize, usize)> = Vec::new();
    for &(index, side) in sides {
        match out.last_mut() {
            Some(run) if run.0 == side => {
                run.1 += 1;
                run.3 = index;
            }
            _ => out.push((side, 1, index, index)),
        }
    }
    out
}

/// Analyse a series (in time order) by Anhøj's rules.
pub fn analyse(points: &[Point], direction: Direction, target: Option<f64>) -> Analysis {
    let finite = || points.iter().enumerate().filter(|(_, p)| p.value.is_finite());
    let baseline: Vec<f64> = finite().filter(|(_, p)| p.baseline).map(|(_, p)| p.value).collect();
    let all: Vec<f64> = finite().map(|(_, p)| p.value).collect();
    let (median, centre) = if baseline.len() >= MIN_USEFUL {
        (median_of(baseline), Centre::Baseline)
    } else if all.len() >= MIN_USEFUL {
        (median_of(all[..MIN_USEFUL].to_vec()), Centre::FirstPoints)
    } else {
        (median_of(all), Centre::AllPoints)
    };
    let sides: Vec<(usize, Side)> = match median {
        Some(m) => finite().filter_map(|(i, p)| side_of(p.value, m).map(|s| (i, s))).collect(),
        None => Vec::new(),
    };
    let useful = sides.len();
    let runs = runs(&sides);
    let longest_run = runs.iter().map(|r| r.1).max().unwrap_or(0);
    let crossings = runs.len().saturating_sub(1);
    let longest_run_limit = longest_run_limit(useful);
    let crossings_limit = crossings_limit(useful);
    let enough_data = useful >= MIN_USEFUL;
    let shift = enough_data && longest_run > longest_run_limit;
    let few_crossings = enough_data && crossings < crossings_limit;
    let last_run = runs.last().map(|r| (r.0, r.1));
    let signal_run = if shift {
        runs.iter().rev().find(|r| r.1 > longest_run_limit).map(|&(side, len, first, last)| Run {
            side,
            len,
            first,
            last,
            first_period: points[first].period.clone(),
            last_period: points[last].period.clone(),
        })
    } else {
        None
    };
    let signal_side = match (&signal_run, few_crossings) {
        (Some(run), _) => Some(run.side),
        (None, true) => last_run.map(|r| r.0),
        (None, false) => None,
    };
    let improvement = signal_side.map(|side| side == direction.better_side());
    let latest = finite().next_back();
    let target_met = match (target, latest) {
        (Some(t), Some((_, p))) if t.is_finite() => Some(match direction {
            Direction::HigherIsBetter => p.value >= t,
            Direction::LowerIsBetter => p.value <= t,
        }),
        _ => None,
    };
    Analysis {
        points: finite().count(),
        last_index: latest.map(|(i, _)| i),
        median,
        centre,
        useful,
        longest_run,
        longest_run_limit,
        crossings,
        crossings_limit,
        shift,
        few_crossings,
        enough_data,
        last_run,
        signal_run,
        improvement,
        direction,
        target,
        target_met,
    }
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".to_string()
    } else {
        format!("{n} times")
    }
}

fn fois(n: usize) -> String {
    if n == 1 {
        "une fois".to_string()
    } else {
        format!("{n} fois")
    }
}

/// "de" before a period's label, elided before a vowel ("d’avril 2026").
pub(crate) fn de(label: &str) -> String {
    let vowel = label.chars().next().is_some_and(|c| "aeiouyàâéèêëîïôûüAEIOUYÀÂÉÈÊËÎÏÔÛÜ".contains(c));
    if vowel {
        format!("d’{label}")
    } else {
        format!("de {label}")
    }
}

impl Analysis {
    /// The side of the centre line a value is on (`None`: on it, or no median).
    pub fn side(&self, value: f64) -> Option<Side> {
        self.median.and_then(|m| side_of(value, m))
    }

    /// Whether the point at `index` of the series is in the signalling run.
    pub fn in_signal_run(&self, index: usize) -> bool {
        self.signal_run.as_ref().is_some_and(|r| (r.first..=r.last).contains(&index))
    }

    fn median_name(&self) -> &'static str {
        match self.centre {
            Centre::Baseline => "the baseline median",
            Centre::FirstPoints | Centre::AllPoints => "the median",
        }
    }

    fn median_name_fr(&self) -> &'static str {
        match self.centre {
            Centre::Baseline => "la médiane de la période de départ",
            Centre::FirstPoints | Centre::AllPoints => "la médiane",
        }
    }

    /// The signalling run in words: "the last 8 points are above the median".
    fn run_words(&self, run: &Run) -> String {
        let (side, median) = (run.side.as_str(), self.median_name());
        let span = run.last - run.first + 1;
        if Some(run.last) != self.last_index {
            return format!("{} points in a row, from {} to {}, were {side} {median}", run.len, run.first_period, run.last_period);
        }
        match span - run.len {
            0 => format!("the last {} points are {side} {median}", run.len),
            1 => format!("{} of the last {span} points are {side} {median} (1 is on it)", run.len),
            on => format!("{} of the last {span} points are {side} {median} ({on} are on it)", run.len),
        }
    }

    /// [`Analysis::run_words`] in French: "les 8 derniers points sont au-dessus de la médiane".
    fn run_words_fr(&self, run: &Run) -> String {
        let (side, median) = (run.side.fr(), self.median_name_fr());
        let span = run.last - run.first + 1;
        if Some(run.last) != self.last_index {
            return format!(
                "{} points consécutifs, {} à {}, se situaient {side} {median}",
                run.len,
                de(&run.first_period),
                run.last_period
            );
        }
        match span - run.len {
            0 => format!("les {} derniers points sont {side} {median}", run.len),
            1 => format!("{} des {span} derniers points sont {side} {median} (1 se trouve sur la médiane)", run.len),
            on => format!("{} des {span} derniers points sont {side} {median} ({on} se trouvent sur la médiane)", run.len),
        }
    }

    /// [`Analysis::summary`] in `lang`.
    pub fn summary_in(&self, lang: Language) -> String {
        match lang {
            Language::En => self.summary(),
            Language::Fr => self.summary_fr(),
        }
    }

    /// [`Analysis::summary`] in French, in the words the French guidance
    /// pages quote.
    fn summary_fr(&self) -> String {
        let median = self.median_name_fr();
        if !self.enough_data {
            let not_counted = self.points - self.useful;
            let mut s =
                format!("Pas encore assez de données pour se prononcer\u{a0}: {} des {MIN_USEFUL} points nécessaires.", self.useful);
            if not_counted > 0 && self.points > 0 {
                let are = if not_counted == 1 {
                    "point se trouve sur la médiane et n’est pas compté"
                } else {
                    "points se trouvent sur la médiane et ne sont pas comptés"
                };
                s.push_str(&format!(" {not_counted} {are}."));
            }
            return s;
        }
        let signal = match (&self.signal_run, self.few_crossings) {
            (Some(run), false) => {
                format!("Déplacement\u{a0}: {}, ce qui a peu de chances d’être dû au hasard.", self.run_words_fr(run))
            }
            (Some(run), true) => format!(
                "Déplacement\u{a0}: {}, et les points ne la croisent que {} alors qu’on en attendrait au moins {}; \
                 il est peu probable que l’un ou l’autre soit dû au hasard.",
                self.run_words_fr(run),
                fois(self.crossings),
                self.crossings_limit
            ),
            (None, true) => format!(
                "Trop peu de croisements\u{a0}: les points croisent {median} {} alors qu’on en attendrait au moins {}, \
                 ce qui laisse supposer un changement.",
                fois(self.crossings),
                self.crossings_limit
            ),
            (None, false) => return format!("Aucun signal\u{a0}: les points varient autour de {median} comme le voudrait le hasard."),
        };
        let verdict = match (self.improvement, self.direction) {
            (Some(true), Direction::HigherIsBetter) => " Une hausse est souhaitable\u{a0}: il s’agit donc d’une amélioration.",
            (Some(true), Direction::LowerIsBetter) => " Une baisse est souhaitable\u{a0}: il s’agit donc d’une amélioration.",
            (Some(false), Direction::HigherIsBetter) => " Une hausse est souhaitable\u{a0}: il s’agit donc d’une détérioration.",
            (Some(false), Direction::LowerIsBetter) => " Une baisse est souhaitable\u{a0}: il s’agit donc d’une détérioration.",
            (None, _) => "",
        };
        signal + verdict
    }

    /// One or two plain-language sentences saying what the chart shows.
    pub fn summary(&self) -> String {
        let median = self.median_name();
        if !self.enough_data {
            let not_counted = self.points - self.useful;
            let mut s = format!("Not enough data yet to judge: {} of the {MIN_USEFUL} points needed.", self.useful);
            if not_counted > 0 && self.points > 0 {
                let are = if not_counted == 1 { "point is" } else { "points are" };
                s.push_str(&format!(" {not_counted} {are} on the median and not counted."));
            }
            return s;
        }
        let signal = match (&self.signal_run, self.few_crossings) {
            (Some(run), false) => {
                format!("Shift: {}, which is unlikely to be chance.", self.run_words(run))
            }
            (Some(run), true) => format!(
                "Shift: {}, and the points cross it only {} where at least {} would be expected; neither is likely to be chance.",
                self.run_words(run),
                times(self.crossings),
                self.crossings_limit
            ),
            (None, true) => format!(
                "Too few crossings: the points cross {median} {} where at least {} would be expected, which suggests a change.",
                times(self.crossings),
                self.crossings_limit
            ),
            (None, false) => return format!("No signal: the points vary around {median} as chance would."),
        };
        let verdict = match (self.improvement, self.direction) {
            (Some(true), Direction::HigherIsBetter) => " Higher is better, so this is an improvement.",
            (Some(true), Direction::LowerIsBetter) => " Lower is better, so this is an improvement.",
            (Some(false), Direction::HigherIsBetter) => " Higher is better, so this is a change for the worse.",
            (Some(false), Direction::LowerIsBetter) => " Lower is better, so this is a change for the worse.",
            (None, _) => "",
        };
        signal + verdict
    }
}

/// An unsigned integer of any size, just enough for [`crossings_limit`]:
/// little-endian 64-bit limbs, no leading zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BigUint(Vec<u64>);

impl BigUint {
    fn zero() -> Self {
        BigUint(Vec::new())
    }
    fn one() -> Self {
        BigUint(vec![1])
    }
    fn power_of_two(k: usize) -> Self {
        let mut limbs = vec![0; k / 64 + 1];
        limbs[k / 64] = 1 << (k % 64);
        BigUint(limbs)
    }
    fn trim(mut self) -> Self {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }
    fn add(&mut self, other: &BigUint) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = false;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let (s1, c1) = limb.overflowing_add(other.0.get(i).copied().unwrap_or(0));
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *limb = s2;
            carry = c1 || c2;
        }
        if carry {
            self.0.push(1);
        }
    }
    fn times(&self, factor: u64) -> BigUint {
        let mut carry: u128 = 0;
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &limb in &self.0 {
            let product = u128::from(limb) * u128::from(factor) + carry;
            out.push(product as u64);
            carry = product >> 64;
        }
        if carry > 0 {
            out.push(carry as u64);
        }
        BigUint(out).trim()
    }
    /// Division by a non-zero divisor (the remainder dropped; exact where used).
    fn divided_by(&self, divisor: u64) -> BigUint {
        let mut out = vec![0; self.0.len()];
        let mut remainder: u128 = 0;
        for (i, &limb) in self.0.iter().enumerate().rev() {
            let current = (remainder << 64) | u128::from(limb);
            out[i] = (current / u128::from(divisor)) as u64;
            remainder = current % u128::from(divisor);
        }
        BigUint(out).trim()
    }
}

impl PartialOrd for BigUint {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BigUint {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appendix 2 of the qicharts2 vignette ("Critical values for longest run
    /// and number of crossings", J. Anhøj, github.com/anhoej/qicharts2,
    /// docs/articles/qicharts2.html): (useful points, upper limit for the
    /// longest run, lower limit for the number of crossings), n = 10 to 100.
    const ANHOEJ_TABLE: [(usize, usize, usize); 91] = [
        (10, 6, 2),
        (11, 6, 2),
        (12, 7, 3),
        (13, 7, 3),
        (14, 7, 4),
        (15, 7, 4),
        (16, 7, 4),
        (17, 7, 5),
        (18, 7, 5),
        (19, 7, 6),
        (20, 7, 6),
        (21, 7, 6),
        (22, 7, 7),
        (23, 8, 7),
        (24, 8, 8),
        (25, 8, 8),
        (26, 8, 8),
        (27, 8, 9),
        (28, 8, 9),
        (29, 8, 10),
        (30, 8, 10),
        (31, 8, 11),
        (32, 8, 11),
        (33, 8, 11),
        (34, 8, 12),
        (35, 8, 12),
        (36, 8, 13),
        (37, 8, 13),
        (38, 8, 14),
        (39, 8, 14),
        (40, 8, 14),
        (41, 8, 15),
        (42, 8, 15),
        (43, 8, 16),
        (44, 8, 16),
        (45, 8, 17),
        (46, 9, 17),
        (47, 9, 17),
        (48, 9, 18),
        (49, 9, 18),
        (50, 9, 19),
        (51, 9, 19),
        (52, 9, 20),
        (53, 9, 20),
        (54, 9, 21),
        (55, 9, 21),
        (56, 9, 21),
        (57, 9, 22),
        (58, 9, 22),
        (59, 9, 23),
        (60, 9, 23),
        (61, 9, 24),
        (62, 9, 24),
        (63, 9, 25),
        (64, 9, 25),
        (65, 9, 25),
        (66, 9, 26),
        (67, 9, 26),
        (68, 9, 27),
        (69, 9, 27),
        (70, 9, 28),
        (71, 9, 28),
        (72, 9, 29),
        (73, 9, 29),
        (74, 9, 29),
        (75, 9, 30),
        (76, 9, 30),
        (77, 9, 31),
        (78, 9, 31),
        (79, 9, 32),
        (80, 9, 32),
        (81, 9, 33),
        (82, 9, 33),
        (83, 9, 34),
        (84, 9, 34),
        (85, 9, 34),
        (86, 9, 35),
        (87, 9, 35),
        (88, 9, 36),
        (89, 9, 36),
        (90, 9, 37),
        (91, 10, 37),
        (92, 10, 38),
        (93, 10, 38),
        (94, 10, 39),
        (95, 10, 39),
        (96, 10, 39),
        (97, 10, 40),
        (98, 10, 40),
        (99, 10, 41),
        (100, 10, 41),
    ];

    #[test]
    fn limits_match_the_published_table() {
        for (n, run, crossings) in ANHOEJ_TABLE {
            assert_eq!(longest_run_limit(n), run, "longest-run limit for n = {n}");
            assert_eq!(crossings_limit(n), crossings, "crossings limit for n = {n}");
        }
    }

    #[test]
    fn limits_for_long_series() {
        // Beyond the table: computed independently with exact integer
        // arithmetic (Python's math.comb) and round(log2(n) + 3).
        for (n, run, crossings) in
            [(120, 10, 51), (200, 11, 88), (250, 11, 112), (365, 12, 166), (500, 12, 231), (1000, 13, 474), (5000, 15, 2441)]
        {
            assert_eq!(longest_run_limit(n), run, "longest-run limit for n = {n}");
            assert_eq!(crossings_limit(n), crossings, "crossings limit for n = {n}");
        }
    }

    /// The same quantile in floating point, as R computes it (the binomial
    /// probabilities summed in log space, R's fuzz towards the lower value).
    fn qbinom_float(m: usize) -> usize {
        let p = 0.05 * (1.0 - 64.0 * f64::EPSILON);
        let mut log_term = -(m as f64) * std::f64::consts::LN_2;
        let mut cdf = 0.0;
        for c in 0..=m {
            cdf += log_term.exp();
            if cdf >= p {
                return c;
            }
            log_term += ((m - c) as f64).ln() - ((c + 1) as f64).ln();
        }
        m
    }

    #[test]
    fn exact_quantile_agrees_with_floating_point() {
        for n in 1..=1200 {
            assert_eq!(crossings_limit(n), qbinom_float(n.saturating_sub(1)), "n = {n}");
        }
    }

    #[test]
    fn limits_for_tiny_series() {
        assert_eq!(longest_run_limit(0), 0);
        assert_eq!(longest_run_limit(1), 3);
        // qbinom(0.05, 0, 0.5) = 0, qbinom(0.05, 1, 0.5) = 0, qbinom(0.05, 4, 0.5) = 0 (P(X = 0) = 1/16 ≥ 0.05)
        assert_eq!(crossings_limit(0), 0);
        assert_eq!(crossings_limit(1), 0);
        assert_eq!(crossings_limit(2), 0);
        assert_eq!(crossings_limit(5), 0);
        // m = 5: P(X = 0) = 1/32 < 0.05, P(X ≤ 1) = 6/32 ≥ 0.05
        assert_eq!(crossings_limit(6), 1);
    }

    #[test]
    fn big_integers() {
        let mut a = BigUint::power_of_two(64);
        assert_eq!(a.0, vec![0, 1]);
        a.add(&BigUint(vec![u64::MAX]));
        assert_eq!(a.0, vec![u64::MAX, 1]);
        a.add(&BigUint::one());
        assert_eq!(a.0, vec![0, 2]);
        assert_eq!(a.times(3).0, vec![0, 6]);
        assert_eq!(a.divided_by(2), BigUint::power_of_two(64));
        assert!(BigUint::power_of_two(70) > BigUint(vec![u64::MAX, 63]));
        assert!(BigUint::zero() < BigUint::one());
        let mut z = BigUint::zero();
        z.add(&BigUint::zero());
        assert_eq!(z, BigUint::zero());
    }

    fn series(values: &[f64]) -> Vec<Point> {
        values.iter().enumerate().map(|(i, &v)| Point::new(format!("P{}", i + 1), v)).collect()
    }
    fn baseline_series(values: &[f64]) -> Vec<Point> {
        values.iter().enumerate().map(|(i, &v)| Point::baseline(format!("P{}", i + 1), v)).collect()
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median_of(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_of(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median_of(vec![]), None);
    }

    #[test]
    fn random_looking_series_has_no_signal() {
        // 12 points alternating in pairs around a median of 5.5.
        let points = series(&[3.0, 8.0, 4.0, 9.0, 2.0, 7.0, 6.0, 1.0, 10.0, 5.0, 11.0, 0.0]);
        let a = analyse(&points, Direction::HigherIsBetter, None);
        assert_eq!(a.median, Some(5.5));
        assert_eq!(a.centre, Centre::FirstPoints);
        assert_eq!(a.useful, 12);
        assert!(a.enough_data);
        // sides: B A B A B A A B A B A B -> runs of 1 except the "A A" pair
        assert_eq!(a.longest_run, 2);
        assert_eq!(a.crossings, 10);
        assert_eq!((a.longest_run_limit, a.crossings_limit), (7, 3));
        assert!(!a.shift && !a.few_crossings);
        assert_eq!(a.improvement, None);
        assert_eq!(a.last_run, Some((Side::Below, 1)));
        assert_eq!(a.summary(), "No signal: the points vary around the median as chance would.");
        assert_eq!(a.summary_in(Language::En), a.summary());
        assert_eq!(a.summary_in(Language::Fr), "Aucun signal\u{a0}: les points varient autour de la médiane comme le voudrait le hasard.");
    }

    #[test]
    fn shift_after_a_frozen_baseline() {
        // A baseline of 12 points around 40, then 8 points above it.
        let mut points: Vec<Point> = [40.0, 42.0, 38.0, 41.0, 39.0, 43.0, 37.0, 40.5, 39.5, 41.5, 38.5, 40.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| Point::baseline(format!("B{}", i + 1), v))
            .collect();
        points.extend((0..8).map(|i| Point::new(format!("M{}", i + 1), 50.0 + f64::from(i))));
        let a = analyse(&points, Direction::HigherIsBetter, Some(55.0));
        assert_eq!(a.centre, Centre::Baseline);
        assert_eq!(a.median, Some(40.0));
        // The two baseline points equal to 40 are on the median.
        assert_eq!(a.useful, 18);
        assert_eq!(a.longest_run, 8);
        assert_eq!(a.longest_run_limit, 7); // n = 18
        assert!(a.shift);
        assert_eq!(a.last_run, Some((Side::Above, 8)));
        let run = a.signal_run.clone().unwrap();
        assert_eq!((run.side, run.len, run.first, run.last), (Side::Above, 8, 12, 19));
        assert_eq!(a.improvement, Some(true));
        assert_eq!(a.target_met, Some(true)); // latest is 57
        assert_eq!(
            a.summary(),
            "Shift: the last 8 points are above the baseline median, which is unlikely to be chance. \
             Higher is better, so this is an improvement."
        );
        // The same data where lower is better: the shift is for the worse.
        let worse = analyse(&points, Direction::LowerIsBetter, Some(30.0));
        assert!(worse.shift);
        assert_eq!(worse.improvement, Some(false));
        assert_eq!(worse.target_met, Some(false));
        assert!(worse.summary().ends_with("Lower is better, so this is a change for the worse."), "{}", worse.summary());
        assert_eq!(
            a.summary_in(Language::Fr),
            "Déplacement\u{a0}: les 8 derniers points sont au-dessus de la médiane de la période de départ, \
             ce qui a peu de chances d’être dû au hasard. Une hausse est souhaitable\u{a0}: il s’agit donc d’une amélioration."
        );
        assert!(
            worse.summary_in(Language::Fr).ends_with(" Une baisse est souhaitable\u{a0}: il s’agit donc d’une détérioration."),
            "{}",
            worse.summary_in(Language::Fr)
        );
    }

    #[test]
    fn a_short_baseline_freezes_the_median_of_the_first_ten_points() {
        // Only 5 baseline points: until 10 points exist, the median is that
        // of all of them (and moves); then that of the first 10, frozen.
        let mut points: Vec<Point> = (0..5).map(|i| Point::baseline(format!("B{i}"), 10.0)).collect();
        points.extend((0..4).map(|i| Point::new(format!("M{i}"), 20.0 + f64::from(i))));
        let a = analyse(&points, Direction::HigherIsBetter, None);
        assert_eq!((a.centre, a.median), (Centre::AllPoints, Some(10.0)));
        points.extend((4..12).map(|i| Point::new(format!("M{i}"), 20.0 + f64::from(i))));
        let a = analyse(&points, Direction::HigherIsBetter, None);
        assert_eq!(a.centre, Centre::FirstPoints);
        assert_eq!(a.median, Some(15.0), "five 10s and 20..24: the later points do not move it");
        assert_eq!(a.useful, 17);
        assert!(a.shift, "the last 12 points are above the frozen median");
        assert!(!a.summary().contains("baseline"));
    }

    #[test]
    fn a_shift_that_ended_is_named_by_its_periods() {
        // 20 points: eight 1s, five 4s, seven 6s, so the median is 4 and the
        // five 4s are on it (15 useful points: limits 7 and 4).
        // The whole series is the baseline (as before a plan is submitted).
        let values = [6.0, 4.0, 6.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 6.0, 4.0, 6.0, 4.0, 6.0, 4.0, 6.0, 6.0];
        let a = analyse(&baseline_series(&values), Direction::LowerIsBetter, None);
        assert_eq!(a.median, Some(4.0));
        assert_eq!(a.useful, 15);
        assert_eq!((a.longest_run_limit, a.crossings_limit), (7, 4));
        // Useful sides: above (P1, P3), 8 below (P5 to P12), 5 above (P13, P15, P17, P19, P20).
        assert_eq!(a.longest_run, 8);
        assert!(a.shift);
        assert_eq!(a.crossings, 2);
        assert!(a.few_crossings);
        let run = a.signal_run.clone().unwrap();
        assert_eq!((run.first_period.as_str(), run.last_period.as_str(), run.side), ("P5", "P12", Side::Below));
        assert_eq!(a.last_run, Some((Side::Above, 5)));
        assert!(a.in_signal_run(4) && a.in_signal_run(11) && !a.in_signal_run(12));
        // The signalling run is below and lower is better: an improvement.
        assert_eq!(a.improvement, Some(true));
        assert_eq!(
            a.summary(),
            "Shift: 8 points in a row, from P5 to P12, were below the baseline median, and the points cross it only 2 times \
             where at least 4 would be expected; neither is likely to be chance. Lower is better, so this is an improvement."
        );
        assert_eq!(
            a.summary_in(Language::Fr),
            "Déplacement\u{a0}: 8 points consécutifs, de P5 à P12, se situaient au-dessous de la médiane de la période de départ, \
             et les points ne la croisent que 2 fois alors qu’on en attendrait au moins 4; il est peu probable que l’un ou l’autre \
             soit dû au hasard. Une baisse est souhaitable\u{a0}: il s’agit donc d’une amélioration."
        );
    }

    #[test]
    fn french_periods_are_elided() {
        assert_eq!(de("avril 2026"), "d’avril 2026");
        assert_eq!(de("août 2026"), "d’août 2026");
        assert_eq!(de("mai 2026"), "de mai 2026");
        assert_eq!(fois(1), "une fois");
        assert_eq!(fois(3), "3 fois");
    }

    #[test]
    fn too_few_crossings_without_a_long_run() {
        // 24 points in runs of 6: no run over the limit of 8, but only 3 crossings (limit 8).
        let values: Vec<f64> = (0..24).map(|i| if (i / 6) % 2 == 0 { 10.0 } else { 20.0 }).collect();
        let a = analyse(&baseline_series(&values), Direction::HigherIsBetter, None);
        assert_eq!(a.median, Some(15.0));
        assert_eq!((a.useful, a.longest_run, a.crossings), (24, 6, 3));
        assert_eq!((a.longest_run_limit, a.crossings_limit), (8, 8));
        assert!(!a.shift);
        assert!(a.few_crossings);
        // The last run (points 19-24) is above; higher is better.
        assert_eq!(a.last_run, Some((Side::Above, 6)));
        assert_eq!(a.improvement, Some(true));
        assert_eq!(
            a.summary(),
            "Too few crossings: the points cross the baseline median 3 times where at least 8 would be expected, which suggests a change. \
             Higher is better, so this is an improvement."
        );
        assert_eq!(
            a.summary_in(Language::Fr),
            "Trop peu de croisements\u{a0}: les points croisent la médiane de la période de départ 3 fois alors qu’on en attendrait \
             au moins 8, ce qui laisse supposer un changement. Une hausse est souhaitable\u{a0}: il s’agit donc d’une amélioration."
        );
    }

    #[test]
    fn points_on_the_median_neither_break_nor_extend_a_run() {
        // Six 5s are on the median of 5 and take no part.
        let values = [9.0, 5.0, 9.0, 5.0, 9.0, 5.0, 9.0, 1.0, 5.0, 1.0, 2.0, 1.0, 5.0, 3.0, 5.0, 7.0];
        let a = analyse(&series(&values), Direction::HigherIsBetter, None);
        assert_eq!(a.median, Some(5.0));
        assert_eq!((a.points, a.useful), (16, 10));
        // Useful values 9 9 9 9 | 1 1 2 1 3 | 7: runs of 4 above, 5 below, 1 above.
        assert_eq!(a.longest_run, 5);
        assert_eq!(a.crossings, 2);
        assert_eq!((a.longest_run_limit, a.crossings_limit), (6, 2));
        assert!(!a.shift && !a.few_crossings);
        assert_eq!(a.side(5.0), None);
        assert_eq!(a.side(7.0), Some(Side::Above));
        // A value equal to the median up to rounding is on it.
        assert_eq!(side_of(0.1 + 0.2, 0.3), None);
        assert_eq!(side_of(0.31, 0.3), Some(Side::Above));
        assert_eq!(side_of(0.0, 0.0), None);
        assert_eq!(side_of(-1.0, 0.0), Some(Side::Below));
    }

    #[test]
    fn the_last_run_may_include_points_on_the_median() {
        // A baseline of 14 points alternating 1 and 9 (median 5), then
        // 9 9 9 5 9 9 9 9 9: with the baseline's last 9, a run of 9 useful
        // points above among the last 10 (22 useful points: limit 7).
        let mut points: Vec<Point> = (0..14).map(|i| Point::baseline(format!("B{i}"), if i % 2 == 0 { 1.0 } else { 9.0 })).collect();
        points.extend([9.0, 9.0, 9.0, 5.0, 9.0, 9.0, 9.0, 9.0, 9.0].iter().enumerate().map(|(i, &v)| Point::new(format!("M{i}"), v)));
        let a = analyse(&points, Direction::HigherIsBetter, None);
        assert_eq!((a.centre, a.median), (Centre::Baseline, Some(5.0)));
        assert_eq!((a.useful, a.longest_run, a.longest_run_limit), (22, 9, 7));
        assert!(a.shift);
        assert_eq!(
            a.summary(),
            "Shift: 9 of the last 10 points are above the baseline median (1 is on it), which is unlikely to be chance. \
             Higher is better, so this is an improvement."
        );
        assert!(
            a.summary_in(Language::Fr).starts_with(
                "Déplacement\u{a0}: 9 des 10 derniers points sont au-dessus de la médiane de la période de départ (1 se trouve sur la médiane), "
            ),
            "{}",
            a.summary_in(Language::Fr)
        );
    }

    #[test]
    fn not_enough_data() {
        let a = analyse(&series(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), Direction::HigherIsBetter, None);
        assert!(!a.enough_data);
        assert_eq!(a.useful, 6);
        assert!(!a.shift && !a.few_crossings);
        assert_eq!(a.improvement, None);
        assert_eq!(a.summary(), "Not enough data yet to judge: 6 of the 10 points needed.");
        assert_eq!(a.summary_in(Language::Fr), "Pas encore assez de données pour se prononcer\u{a0}: 6 des 10 points nécessaires.");

        // Even a run of 9 says nothing with 9 useful points: a frozen
        // baseline of ten 5s (all on its median), then nine 8s.
        let mut points: Vec<Point> = (0..10).map(|i| Point::baseline(format!("B{i}"), 5.0)).collect();
        points.extend((0..9).map(|i| Point::new(format!("M{i}"), 8.0)));
        let a = analyse(&points, Direction::HigherIsBetter, None);
        assert_eq!((a.centre, a.useful, a.longest_run), (Centre::Baseline, 9, 9));
        assert!(!a.enough_data && !a.shift);
        assert_eq!(a.summary(), "Not enough data yet to judge: 9 of the 10 points needed. 10 points are on the median and not counted.");

        // 11 points, 3 on the median: 8 useful, not enough.
        let a = analyse(&series(&[5.0, 5.0, 5.0, 1.0, 9.0, 1.0, 9.0, 1.0, 9.0, 1.0, 9.0]), Direction::HigherIsBetter, None);
        assert_eq!(a.median, Some(5.0));
        assert_eq!((a.points, a.useful), (11, 8));
        assert!(!a.enough_data);
        assert_eq!(a.summary(), "Not enough data yet to judge: 8 of the 10 points needed. 3 points are on the median and not counted.");
        assert_eq!(
            a.summary_in(Language::Fr),
            "Pas encore assez de données pour se prononcer\u{a0}: 8 des 10 points nécessaires. \
             3 points se trouvent sur la médiane et ne sont pas comptés."
        );
    }

    #[test]
    fn no_points_and_odd_values() {
        let a = analyse(&[], Direction::LowerIsBetter, Some(3.0));
        assert_eq!(a.median, None);
        assert_eq!((a.points, a.useful, a.longest_run, a.crossings), (0, 0, 0, 0));
        assert_eq!(a.target_met, None);
        assert_eq!(a.last_run, None);
        assert_eq!(a.summary(), "Not enough data yet to judge: 0 of the 10 points needed.");

        // A NaN is missing: it takes no part.
        let a = analyse(&series(&[1.0, f64::NAN, 3.0]), Direction::LowerIsBetter, Some(3.0));
        assert_eq!(a.median, Some(2.0));
        assert_eq!((a.points, a.useful), (2, 2));
        assert_eq!(a.target_met, Some(true)); // latest 3 ≤ 3
        assert_eq!(a.last_index, Some(2));
    }

    #[test]
    fn all_points_equal() {
        let a = analyse(&series(&[7.0; 15]), Direction::HigherIsBetter, None);
        assert_eq!(a.median, Some(7.0));
        assert_eq!(a.useful, 0);
        assert!(!a.enough_data);
        assert_eq!(a.summary(), "Not enough data yet to judge: 0 of the 10 points needed. 15 points are on the median and not counted.");
    }
}
