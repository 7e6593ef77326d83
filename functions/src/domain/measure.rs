//! A goal's measure: its definition, the data points members record, and
//! the group's series over time, ready for a run chart ([`super::runchart`]).
//!
//! - A [`MeasureDefinition`] says precisely what is measured: its kind (a
//!   proportion, a count per period, or a value with a unit), what is
//!   counted and how, the data source and sampling, the period (week or
//!   month), which direction is better, and a numeric baseline and target.
//! - A [`DataPoint`] is one member's number(s) for one period.
//! - A [`Series`] holds the group's points for one goal, at most one per
//!   member per period, and works out the group's value for each period.
//!
//! Nothing here is for patient data: every free-text field is refused when
//! [`super::patient_data::looks_like_patient_data`] says it looks like it.
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::patient_data::patient_data_refusal;
use super::runchart::{self, Direction};
use super::values::{parse_date, parse_text_tr, string_newtype, Invalid, Language};
use super::{long_day, FieldError};

/// A data point's note, in characters. Defined here, not in
/// `qi_facts::limits`, for now; it belongs there once a form shows the field.
pub const NOTE_MAX: usize = 500;
/// What is counted, and the sampling: as long as a goal's other fields.
pub const DEFINITION_FIELD_MAX: usize = qi_facts::limits::GOAL_FIELD;
/// The description of a data source that is none of the listed ones.
pub const SOURCE_OTHER_MAX: usize = 200;
/// A value's unit ("minutes").
pub const UNIT_MAX: usize = 40;
/// The largest count, numerator or denominator: far above what a practice
/// counts in a period, low enough that sums over a group stay exact.
pub const MAX_COUNT: u32 = 1_000_000;
/// The largest value, baseline or target (other than a percentage).
pub const MAX_VALUE: f64 = 1_000_000.0;
/// The unit of a value measure, as people write it: "minutes", "days".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Unit(String);
string_newtype!(Unit);

impl Unit {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr(
                "required",
                "Enter the unit of the value, for example minutes",
                "Saisissez l’unité de la valeur, par exemple «\u{a0}minutes\u{a0}»",
            ));
        }
        if s.chars().count() > UNIT_MAX {
            return Err(Invalid::tr(
                "too_long",
                format!("A unit has at most {UNIT_MAX} characters"),
                format!("Une unité ne peut pas dépasser {UNIT_MAX} caractères"),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(Invalid::tr(
                "not_allowed_characters",
                "A unit cannot contain line breaks or control characters",
                "Une unité ne peut pas contenir de saut de ligne ni de caractère de contrôle",
            ));
        }
        Ok(Unit(s.to_string()))
    }
}

/// What kind of number the measure is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeasureKind {
    /// A numerator out of a denominator ("charts with allergy status
    /// recorded / charts reviewed"), shown as a percentage.
    Proportion,
    /// How many times something happened in a period.
    Count,
    /// A measured quantity with a unit ("minutes").
    Value { unit: Unit },
}

impl MeasureKind {
    /// The form's and the store's key: `proportion`, `count`, `value`.
    pub fn key(&self) -> &'static str {
        match self {
            MeasureKind::Proportion => "proportion",
            MeasureKind::Count => "count",
            MeasureKind::Value { .. } => "value",
        }
    }
    /// The name people read.
    pub fn label(&self) -> &'static str {
        match self {
            MeasureKind::Proportion => "Proportion (numerator and denominator)",
            MeasureKind::Count => "Count per period",
            MeasureKind::Value { .. } => "Value with a unit",
        }
    }
    /// [`MeasureKind::label`] in `lang`.
    pub fn label_in(&self, lang: Language) -> &'static str {
        match (self, lang) {
            (_, Language::En) => self.label(),
            (MeasureKind::Proportion, Language::Fr) => "Proportion (numérateur et dénominateur)",
            (MeasureKind::Count, Language::Fr) => "Nombre par période",
            (MeasureKind::Value { .. }, Language::Fr) => "Valeur avec une unité",
        }
    }
    pub fn unit(&self) -> Option<&Unit> {
        match self {
            MeasureKind::Value { unit } => Some(unit),
            _ => None,
        }
    }
    /// Whether a point's value is of this kind.
    pub fn fits(&self, value: &PointValue) -> bool {
        matches!(
            (self, value),
            (MeasureKind::Proportion, PointValue::Proportion { .. })
                | (MeasureKind::Count | MeasureKind::Value { .. }, PointValue::Number(_))
        )
    }
    /// A value of this kind as people read it: "75%", "12", "8.5 minutes"
    /// (French: "75 %", "8,5 minutes"). Rounded to one decimal place.
    pub fn format(&self, value: f64, lang: Language) -> String {
        let n = format_number(value, lang);
        match (self, lang) {
            (MeasureKind::Proportion, Language::En) => format!("{n}%"),
            (MeasureKind::Proportion, Language::Fr) => format!("{n}\u{a0}%"),
            (MeasureKind::Count, _) => n,
            (MeasureKind::Value { unit }, _) => format!("{n} {unit}"),
        }
    }
}

/// A number rounded to one decimal place, without a trailing ".0"; French
/// writes a decimal comma.
pub fn format_number(value: f64, lang: Language) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let s = if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") };
    let s = if s == "-0" { "0".to_string() } else { s };
    match lang {
        Language::En => s,
        Language::Fr => s.replace('.', ","),
    }
}

/// A choice among a form's options that was not made (`required`) or is
/// none of them (`invalid_format`).
fn choice(input: &str, en: &str, fr: &str) -> Invalid {
    let code = if input.trim().is_empty() { "required" } else { "invalid_format" };
    Invalid::tr(code, en, fr)
}

/// How often the measure is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(choice(
                input,
                "Choose how often you measure: every week or every month",
                "Choisissez la fréquence de la mesure\u{a0}: chaque semaine ou chaque mois",
            )),
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "Every week",
            Period::Month => "Every month",
        }
    }
}

/// One week or one month: `2026-11` (November 2026) or `2026-W47` (ISO
/// week 47 of 2026). Ordered in time; in one series all periods are of one
/// kind. Held as the period's first day (a Monday for a week), so that it
/// can only name a real period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeriodId {
    start: NaiveDate,
    period: Period,
}

/// Why a period's text was refused, before it is put in words.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PeriodProblem {
    Empty,
    Shape,
    NoSuchMonth(u32),
    NoSuchWeek { year: i32, week: u32, weeks: u32 },
}

/// Weeks in an ISO year: 52 or 53.
fn iso_weeks(year: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() {
        53
    } else {
        52
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl PeriodId {
    /// The period of the given kind that contains `date`.
    pub fn of(period: Period, date: NaiveDate) -> PeriodId {
        let start = match period {
            Period::Month => date.with_day(1).unwrap_or(date),
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        };
        PeriodId { start, period }
    }

    fn parse_problem(input: &str) -> Result<PeriodId, PeriodProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PeriodProblem::Empty);
        }
        let (year, rest) = s.split_once('-').ok_or(PeriodProblem::Shape)?;
        if year.len() != 4 || !all_digits(year) {
            return Err(PeriodProblem::Shape);
        }
        let year: i32 = year.parse().map_err(|_| PeriodProblem::Shape)?;
        if let Some(week) = rest.strip_prefix(['W', 'w']) {
            if week.len() > 2 || !all_digits(week) {
                return Err(PeriodProblem::Shape);
            }
            let week: u32 = week.parse().map_err(|_| PeriodProblem::Shape)?;
            let start = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or(PeriodProblem::NoSuchWeek {
                year,
                week,
                weeks: iso_weeks(year),
            })?;
            return Ok(PeriodId { start, period: Period::Week });
        }
        if rest.len() > 2 || !all_digits(rest) {
            return Err(PeriodProblem::Shape);
        }
        let month: u32 = rest.parse().map_err(|_| PeriodProblem::Shape)?;
        let start = NaiveDate::from_ymd_opt(year, month, 1).ok_or(PeriodProblem::NoSuchMonth(month))?;
        Ok(PeriodId { start, period: Period::Month })
    }

    /// A month `YYYY-MM` or an ISO week `YYYY-Www` (one-digit months and
    /// weeks accepted, a lower-case `w` too).
    pub fn parse(input: &str) -> Result<PeriodId, Invalid> {
        PeriodId::parse_problem(input).map_err(|p| match p {
            PeriodProblem::Empty | PeriodProblem::Shape => Invalid::tr(
                if p == PeriodProblem::Empty { "required" } else { "invalid_format" },
                "Enter a period as a month, for example 2026-11, or a week, for example 2026-W47",
                "Saisissez la période sous forme de mois, par exemple 2026-11, ou de semaine, par exemple 2026-W47",
            ),
            other => PeriodId::problem_words(&other, Period::Month, "2026-11"),
        })
    }

    /// Parse a period of the given kind; `example` is the period shown in
    /// the messages (the current one, usually).
    pub fn parse_as(period: Period, input: &str, example: PeriodId) -> Result<PeriodId, Invalid> {
        let example = example.key();
        match PeriodId::parse_problem(input) {
            Ok(p) if p.period == period => Ok(p),
            Ok(_) => Err(match period {
                Period::Month => Invalid::tr(
                    "invalid_format",
                    format!("This measure is recorded by month: enter a month, for example {example}"),
                    format!("Cette mesure est consignée par mois\u{a0}: saisissez un mois, par exemple {example}"),
                ),
                Period::Week => Invalid::tr(
                    "invalid_format",
                    format!("This measure is recorded by week: enter a week, for example {example}"),
                    format!("Cette mesure est consignée par semaine\u{a0}: saisissez une semaine, par exemple {example}"),
                ),
            }),
            Err(p) => Err(PeriodId::problem_words(&p, period, &example)),
        }
    }

    fn problem_words(p: &PeriodProblem, period: Period, example: &str) -> Invalid {
        let code = if *p == PeriodProblem::Empty { "required" } else { "invalid_format" };
        match (p, period) {
            (PeriodProblem::NoSuchMonth(m), _) => Invalid::tr(
                "out_of_range",
                format!("There is no month {m}: enter a month from 1 to 12, for example 2026-11"),
                format!("Il n’y a pas de mois {m}\u{a0}: saisissez un mois de 1 à 12, par exemple 2026-11"),
            ),
            (PeriodProblem::NoSuchWeek { year, weeks, .. }, _) => Invalid::tr(
                "out_of_range",
                format!("{year} has weeks 1 to {weeks}: enter a week in that range, for example {year}-W{weeks:02}"),
                format!(
                    "En {year}, les semaines vont de 1 à {weeks}\u{a0}: saisissez une semaine dans cet intervalle, par exemple {year}-W{weeks:02}"
                ),
            ),
            (_, Period::Month) => Invalid::tr(
                code,
                format!("Enter the month as its year and month, for example {example}"),
                format!("Saisissez l’année et le mois, par exemple {example}"),
            ),
            (_, Period::Week) => Invalid::tr(
                code,
                format!("Enter the week as its year and week number, for example {example}"),
                format!("Saisissez l’année et le numéro de la semaine, par exemple {example}"),
            ),
        }
    }

    pub fn period(self) -> Period {
        self.period
    }
    /// The first day of the period.
    pub fn start(self) -> NaiveDate {
        self.start
    }
    /// The last day of the period.
    pub fn end(self) -> NaiveDate {
        self.next().start.pred_opt().unwrap_or(self.start)
    }
    /// The period that follows.
    pub fn next(self) -> PeriodId {
        let start = match self.period {
            Period::Month => self.start.checked_add_months(Months::new(1)),
            Period::Week => self.start.checked_add_days(Days::new(7)),
        };
        // Only at the end of chrono's range (year 262143) is there no next period.
        PeriodId { start: start.unwrap_or(NaiveDate::MAX), period: self.period }
    }
    /// Whether the period has begun by `today`.
    pub fn has_started(self, today: NaiveDate) -> bool {
        self.start <= today
    }
    /// The text form: `2026-11` or `2026-W47` (the ISO week's year, which
    /// differs from the calendar year around New Year: 2026-12-31 is in
    /// 2026-W53, 2027-12-31 in 2027-W52, 2024-12-30 in 2025-W01).
    pub fn key(self) -> String {
        match self.period {
            Period::Month => format!("{:04}-{:02}", self.start.year(), self.start.month()),
            Period::Week => {
                let w = self.start.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
        }
    }
    /// The period as people read it: "November 2026", "Week 47, 2026"
    /// (French: "novembre 2026", "Semaine 47, 2026").
    pub fn label(self, lang: Language) -> String {
        match self.period {
            Period::Month => {
                format!("{} {}", super::month_name(self.start.month0(), lang), self.start.year())
            }
            Period::Week => {
                let w = self.start.iso_week();
                match lang {
                    Language::En => format!("Week {}, {}", w.week(), w.year()),
                    Language::Fr => format!("Semaine {}, {}", w.week(), w.year()),
                }
            }
        }
    }
}

impl std::fmt::Display for PeriodId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl TryFrom<String> for PeriodId {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        PeriodId::parse(&s)
    }
}

impl From<PeriodId> for String {
    fn from(p: PeriodId) -> String {
        p.key()
    }
}

impl std::str::FromStr for PeriodId {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        PeriodId::parse(s)
    }
}

/// Where the data come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// A report or search run in the EMR.
    EmrReport,
    /// A sample of charts reviewed by hand.
    ChartAudit,
    /// A tally kept as it happens (on paper, at the front desk).
    Tally,
    /// Something else, as the group describes it.
    Other(String),
}

impl DataSource {
    /// The form's key: `emr_report`, `chart_audit`, `tally`, `other`.
    pub fn key(&self) -> &'static str {
        match self {
            DataSource::EmrReport => "emr_report",
            DataSource::ChartAudit => "chart_audit",
            DataSource::Tally => "tally",
            DataSource::Other(_) => "other",
        }
    }
    /// The name people read (for `Other`, the group's description).
    pub fn label(&self) -> &str {
        match self {
            DataSource::EmrReport => "EMR report",
            DataSource::ChartAudit => "Chart audit",
            DataSource::Tally => "Tally",
            DataSource::Other(description) => description,
        }
    }
}

/// A direction's form key: `higher_is_better` or `lower_is_better`
/// (the names [`Direction`] serializes to).
pub fn direction_key(d: Direction) -> &'static str {
    match d {
        Direction::HigherIsBetter => "higher_is_better",
        Direction::LowerIsBetter => "lower_is_better",
    }
}

pub fn parse_direction(input: &str) -> Result<Direction, Invalid> {
    match input.trim() {
        "higher_is_better" => Ok(Direction::HigherIsBetter),
        "lower_is_better" => Ok(Direction::LowerIsBetter),
        _ => Err(choice(
            input,
            "Choose whether a higher or a lower number is better",
            "Indiquez si une hausse ou une baisse est souhaitable",
        )),
    }
}

/// [`Direction`] has no `Deserialize` in `runchart.rs`; a definition read
/// back goes through [`parse_direction`].
mod direction_serde {
    use super::{direction_key, parse_direction, Direction};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(direction_key(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Direction, D::Error> {
        let key = String::deserialize(d)?;
        parse_direction(&key).map_err(serde::de::Error::custom)
    }
}

/// Raw text of a goal's measure, as received (form or JSON). Field names
/// are `goal_N_measure_kind`, …; see [`MeasureDefinition::parse`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeasureInput<'a> {
    /// `proportion`, `count` or `value`.
    pub kind: &'a str,
    /// A value's unit (only for `value`).
    pub unit: &'a str,
    pub counted: &'a str,
    /// `emr_report`, `chart_audit`, `tally` or `other`.
    pub source: &'a str,
    /// The description when the source is `other`.
    pub source_other: &'a str,
    pub sampling: &'a str,
    /// `week` or `month`.
    pub period: &'a str,
    /// `higher_is_better` or `lower_is_better`.
    pub direction: &'a str,
    pub baseline: &'a str,
    pub target: &'a str,
    /// The goal's target date, `YYYY-MM-DD`.
    pub target_date: &'a str,
}

impl MeasureInput<'_> {
    /// Every field empty: the goal has no structured measure (yet). The
    /// target date alone does not count, as it belongs to the goal too.
    pub fn is_blank(&self) -> bool {
        [
            self.kind,
            self.unit,
            self.counted,
            self.source,
            self.source_other,
            self.sampling,
            self.period,
            self.direction,
            self.baseline,
            self.target,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// A goal's measure, complete and consistent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureDefinition {
    pub kind: MeasureKind,
    /// What is counted and how.
    pub counted: String,
    pub source: DataSource,
    /// How cases are chosen ("20 random charts a month"); required for a
    /// chart audit, may be empty otherwise (an EMR report counts everyone).
    pub sampling: String,
    pub period: Period,
    #[serde(with = "direction_serde")]
    pub direction: Direction,
    /// In the measure's terms: a percentage (0–100) for a proportion.
    pub baseline: Option<f64>,
    /// The target (same terms as the baseline) and the date to reach it by.
    pub target: Option<(f64, NaiveDate)>,
}

// Every f64 in a definition or a point passed `parse_decimal` and a range
// check (or was read back through the same checks): never NaN, so
// equality is reflexive and `Eq` holds. Groups, which hold both, are `Eq`.
impl Eq for MeasureDefinition {}
impl Eq for PointValue {}
impl Eq for DataPoint {}

/// Why a number was refused, before it is put in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberProblem {
    Empty,
    NotANumber,
    Negative,
    /// "1,000": a thousands separator, or a decimal comma? Not guessed.
    Ambiguous,
}

/// A decimal number as people type it: `12`, `12.5`, `12,5` (a decimal
/// comma), `.5`; with `percent`, a trailing `%` too. No exponents, no
/// `inf` or `NaN` (which Rust's own parser accepts), no thousands
/// separators. A leading minus parses, so that the message can say
/// "cannot be negative" rather than "not a number".
fn parse_decimal(input: &str, percent: bool) -> Result<f64, NumberProblem> {
    let mut s = input.trim();
    if percent {
        if let Some(rest) = s.strip_suffix('%') {
            s = rest.trim_end();
        }
    }
    if s.is_empty() {
        return Err(NumberProblem::Empty);
    }
    let (negative, body) = match s.strip_prefix(['-', '−']) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s),
    };
    let (int, frac, comma) = match body.find(['.', ',']) {
        Some(i) => (&body[..i], &body[i + 1..], body[i..].starts_with(',')),
        None => (body, "", false),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        // "1,000.5", "1.000.000" and the like end up here too.
        return Err(if body.contains(',') && body.contains('.') { NumberProblem::Ambiguous } else { NumberProblem::NotANumber });
    }
    if comma && frac.len() == 3 && !int.is_empty() && int.bytes().any(|b| b != b'0') {
        return Err(NumberProblem::Ambiguous);
    }
    let int = if int.is_empty() { "0" } else { int };
    let value: f64 = format!("{int}.{frac}").parse().map_err(|_| NumberProblem::NotANumber)?;
    if negative && value != 0.0 {
        return Err(NumberProblem::Negative);
    }
    // Hundreds of digits parse to infinity; the range checks refuse it.
    Ok(value)
}

/// [`MAX_VALUE`] and [`MAX_COUNT`] as the French messages write them.
const MILLION_FR: &str = "1\u{a0}000\u{a0}000";

/// A baseline or a target, as the messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Baseline,
    Target,
}

impl Level {
    fn en(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Target => "target",
        }
    }
    /// The French name with its article, and its gender's "négatif".
    fn fr(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Level::Baseline => ("le niveau de départ", "Le niveau de départ", "négatif"),
            Level::Target => ("la cible", "La cible", "négative"),
        }
    }
}

/// A baseline or target in the measure's terms.
fn parse_level(input: &str, kind: Option<&MeasureKind>, level: Level, example: u32) -> Result<Option<f64>, Invalid> {
    let what = level.en();
    let (the, the_cap, negative) = level.fr();
    let proportion = matches!(kind, Some(MeasureKind::Proportion));
    let (ask, ask_fr) = if proportion {
        (
            format!("Enter the {what} as a percentage from 0 to 100, for example {example}"),
            format!("Saisissez {the} en pourcentage, de 0 à 100, par exemple {example}"),
        )
    } else {
        (
            format!("Enter the {what} as a number, for example {example}"),
            format!("Saisissez {the} sous forme de nombre, par exemple {example}"),
        )
    };
    match parse_decimal(input, proportion) {
        Err(NumberProblem::Empty) => Ok(None),
        Err(NumberProblem::Negative) => Err(Invalid::tr(
            "out_of_range",
            format!("The {what} cannot be negative. {ask}"),
            format!("{the_cap} ne peut pas être {negative}. {ask_fr}"),
        )),
        Err(NumberProblem::Ambiguous) => Err(Invalid::tr(
            "invalid_format",
            format!("{ask}, without a thousands separator"),
            format!("{ask_fr}, sans séparateur de milliers"),
        )),
        Err(NumberProblem::NotANumber) => Err(Invalid::tr("invalid_format", ask, ask_fr)),
        Ok(v) if proportion && v > 100.0 => Err(Invalid::tr(
            "out_of_range",
            format!("A percentage is at most 100. {ask}"),
            format!("Un pourcentage ne peut pas dépasser 100. {ask_fr}"),
        )),
        Ok(v) if v > MAX_VALUE => Err(Invalid::tr(
            "out_of_range",
            format!("The {what} is at most 1,000,000"),
            format!("{the_cap} ne peut pas dépasser {MILLION_FR}"),
        )),
        Ok(v) => Ok(Some(v)),
    }
}

/// Free text of a definition, refused when it looks like patient data.
/// `what` names the field as a sentence's subject ("What is counted"),
/// `what_fr` as a field's label ("Ce qui est compté"); see [`parse_text_tr`].
fn definition_text(input: &str, max: usize, what: &str, what_fr: &str) -> Result<String, Invalid> {
    let s = parse_text_tr(input, max, what, what_fr)?;
    match patient_data_refusal(&s) {
        Some(e) => Err(e),
        None => Ok(s),
    }
}

impl MeasureDefinition {
    /// Parse goal `goal`'s measure (1-based, as in the form). Every problem
    /// is reported, each naming its field: `goal_N_measure_kind`,
    /// `goal_N_measure_unit`, `goal_N_measure_counted`,
    /// `goal_N_measure_source`, `goal_N_measure_source_other`,
    /// `goal_N_measure_sampling`, `goal_N_measure_period`,
    /// `goal_N_measure_direction`, `goal_N_baseline_value`,
    /// `goal_N_target_value`, `goal_N_target_date`.
    ///
    /// The baseline and the target are optional; a target needs its date,
    /// and must lie on the better side of the baseline. A target date alone
    /// is not a problem (it is the goal's date too), and a malformed one is
    /// reported only with a target value, in [`parse_date`]'s words, so
    /// that it duplicates exactly what the goal's own parse reports.
    pub fn parse(goal: usize, input: &MeasureInput<'_>) -> Result<MeasureDefinition, Vec<FieldError>> {
        let mut errors = Vec::new();
        let field = |name: &str| format!("goal_{goal}_{name}");
        let mut fail = |name: &str, e: Invalid| errors.push(FieldError::invalid(field(name), e));

        let kind = match input.kind.trim() {
            "proportion" => Some(MeasureKind::Proportion),
            "count" => Some(MeasureKind::Count),
            "value" => match Unit::parse(input.unit) {
                Ok(unit) => match patient_data_refusal(unit.as_str()) {
                    Some(e) => {
                        fail("measure_unit", e);
                        None
                    }
                    None => Some(MeasureKind::Value { unit }),
                },
                Err(e) => {
                    fail("measure_unit", e);
                    None
                }
            },
            _ => {
                fail(
                    "measure_kind",
                    choice(
                        input.kind,
                        "Choose the type of measure: a proportion, a count or a value",
                        "Choisissez le type de mesure\u{a0}: une proportion, un nombre ou une valeur",
                    ),
                );
                None
            }
        };

        let counted = if input.counted.trim().is_empty() {
            fail(
                "measure_counted",
                Invalid::tr(
                    "required",
                    "Say what is counted and how, for example: charts with allergy status recorded, out of the charts reviewed",
                    "Précisez ce qui est compté et comment, par exemple\u{a0}: les dossiers où le statut allergique est consigné, \
                     sur les dossiers examinés",
                ),
            );
            String::new()
        } else {
            definition_text(input.counted, DEFINITION_FIELD_MAX, "What is counted", "Ce qui est compté").unwrap_or_else(|e| {
                fail("measure_counted", e);
                String::new()
            })
        };

        let source = match input.source.trim() {
            "emr_report" => Some(DataSource::EmrReport),
            "chart_audit" => Some(DataSource::ChartAudit),
            "tally" => Some(DataSource::Tally),
            "other" if input.source_other.trim().is_empty() => {
                fail("measure_source_other", Invalid::tr("required", "Say where the data come from", "Précisez d’où viennent les données"));
                None
            }
            "other" => match definition_text(input.source_other, SOURCE_OTHER_MAX, "The data source", "Provenance des données") {
                Ok(s) => Some(DataSource::Other(s)),
                Err(e) => {
                    fail("measure_source_other", e);
                    None
                }
            },
            _ => {
                fail(
                    "measure_source",
                    choice(
                        input.source,
                        "Choose where the data come from: an EMR report, a chart audit, a tally or something else",
                        "Choisissez d’où viennent les données\u{a0}: un rapport du DME, une vérification de dossiers, \
                         une feuille de pointage ou une autre source",
                    ),
                );
                None
            }
        };

        let sampling = match definition_text(input.sampling, DEFINITION_FIELD_MAX, "The sampling", "Échantillonnage") {
            Ok(s) if s.is_empty() && source == Some(DataSource::ChartAudit) => {
                fail(
                    "measure_sampling",
                    Invalid::tr(
                        "required",
                        "Say how the charts are chosen, for example 20 random charts a month",
                        "Précisez comment les dossiers sont choisis, par exemple 20 dossiers choisis au hasard chaque mois",
                    ),
                );
                s
            }
            Ok(s) => s,
            Err(e) => {
                fail("measure_sampling", e);
                String::new()
            }
        };

        let period = Period::parse(input.period).map_err(|e| fail("measure_period", e)).ok();
        let direction = parse_direction(input.direction).map_err(|e| fail("measure_direction", e)).ok();

        // Numbers are judged in the kind's terms; without a kind, as plain numbers.
        let baseline = parse_level(input.baseline, kind.as_ref(), Level::Baseline, 40).unwrap_or_else(|e| {
            fail("baseline_value", e);
            None
        });
        let target_value = match parse_level(input.target, kind.as_ref(), Level::Target, 75) {
            Ok(v) => v,
            Err(e) => {
                fail("target_value", e);
                None
            }
        };
        let target_given = !input.target.trim().is_empty();
        let target_date = if target_given && input.target_date.trim().is_empty() {
            fail(
                "target_date",
                Invalid::tr(
                    "required",
                    "Enter the date by which you aim to reach the target",
                    "Saisissez la date à laquelle vous comptez atteindre la cible",
                ),
            );
            None
        } else if target_given {
            parse_date(input.target_date).map_err(|e| fail("target_date", e)).ok()
        } else {
            None
        };
        if let (Some(b), Some(t), Some(d)) = (baseline, target_value, direction) {
            let kind_ref = kind.as_ref().unwrap_or(&MeasureKind::Count);
            let (b_words, b_fr) = (kind_ref.format(b, Language::En), kind_ref.format(b, Language::Fr));
            match d {
                Direction::HigherIsBetter if t <= b => fail(
                    "target_value",
                    Invalid::tr(
                        "inconsistent",
                        format!("Higher is better, so the target should be above the baseline ({b_words})"),
                        format!("Une hausse est souhaitable\u{a0}: la cible devrait donc être supérieure au niveau de départ ({b_fr})"),
                    ),
                ),
                Direction::LowerIsBetter if t >= b => fail(
                    "target_value",
                    Invalid::tr(
                        "inconsistent",
                        format!("Lower is better, so the target should be below the baseline ({b_words})"),
                        format!("Une baisse est souhaitable\u{a0}: la cible devrait donc être inférieure au niveau de départ ({b_fr})"),
                    ),
                ),
                _ => {}
            }
        }

        match (kind, source, period, direction) {
            (Some(kind), Some(source), Some(period), Some(direction)) if errors.is_empty() => Ok(MeasureDefinition {
                kind,
                counted,
                source,
                sampling,
                period,
                direction,
                baseline,
                target: target_value.zip(target_date),
            }),
            _ => Err(errors),
        }
    }

    /// The definition as the plan form's fields show it again (suffixes of
    /// `goal_N_`, and their text); the inverse of [`MeasureDefinition::parse`].
    pub fn form_fields(&self) -> Vec<(&'static str, String)> {
        let number = |v: Option<f64>| v.map(|v| format_number(v, Language::En)).unwrap_or_default();
        vec![
            ("measure_kind", self.kind.key().to_string()),
            ("measure_unit", self.kind.unit().map(|u| u.to_string()).unwrap_or_default()),
            ("measure_counted", self.counted.clone()),
            ("measure_source", self.source.key().to_string()),
            ("measure_source_other", if let DataSource::Other(d) = &self.source { d.clone() } else { String::new() }),
            ("measure_sampling", self.sampling.clone()),
            ("measure_period", self.period.key().to_string()),
            ("measure_direction", direction_key(self.direction).to_string()),
            ("baseline_value", number(self.baseline)),
            ("target_value", number(self.target.map(|t| t.0))),
        ]
    }

    pub fn target_value(&self) -> Option<f64> {
        self.target.map(|(v, _)| v)
    }

    /// Whether a point's value and period fit this measure.
    pub fn fits(&self, point: &DataPoint) -> bool {
        self.kind.fits(&point.value) && point.period.period() == self.period
    }
}

/// A member's number(s) for one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PointValueRepr", into = "PointValueRepr")]
pub enum PointValue {
    /// Whole numbers, `0 < denominator`, `numerator ≤ denominator`.
    Proportion { numerator: u32, denominator: u32 },
    /// A count (a whole number) or a value: finite and not negative.
    Number(f64),
}

impl PointValue {
    /// A proportion, checked.
    pub fn proportion(numerator: u32, denominator: u32) -> Result<PointValue, Invalid> {
        if denominator == 0 || denominator > MAX_COUNT {
            return Err(Invalid::tr(
                "out_of_range",
                "A proportion's denominator is from 1 to 1,000,000",
                format!("Le dénominateur d’une proportion va de 1 à {MILLION_FR}"),
            ));
        }
        if numerator > denominator {
            return Err(Invalid::tr(
                "inconsistent",
                "A proportion's numerator is at most its denominator",
                "Le numérateur d’une proportion ne peut pas dépasser son dénominateur",
            ));
        }
        Ok(PointValue::Proportion { numerator, denominator })
    }
    /// A count or a value, checked.
    pub fn number(value: f64) -> Result<PointValue, Invalid> {
        if !value.is_finite() || !(0.0..=MAX_VALUE).contains(&value) {
            return Err(Invalid::tr(
                "out_of_range",
                "A value is a number from 0 to 1,000,000",
                format!("Une valeur est un nombre de 0 à {MILLION_FR}"),
            ));
        }
        Ok(PointValue::Number(value))
    }
    /// The value on the chart: a proportion as a percentage.
    pub fn value(self) -> f64 {
        match self {
            PointValue::Proportion { numerator, denominator } => 100.0 * f64::from(numerator) / f64::from(denominator),
            PointValue::Number(v) => v,
        }
    }
}

/// The stored shape of a [`PointValue`]; reading it back checks it again.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PointValueRepr {
    Proportion { numerator: u32, denominator: u32 },
    Number(f64),
}

impl TryFrom<PointValueRepr> for PointValue {
    type Error = Invalid;
    fn try_from(r: PointValueRepr) -> Result<Self, Invalid> {
        match r {
            PointValueRepr::Proportion { numerator, denominator } => PointValue::proportion(numerator, denominator),
            PointValueRepr::Number(v) => PointValue::number(v),
        }
    }
}

impl From<PointValue> for PointValueRepr {
    fn from(v: PointValue) -> Self {
        match v {
            PointValue::Proportion { numerator, denominator } => PointValueRepr::Proportion { numerator, denominator },
            PointValue::Number(v) => PointValueRepr::Number(v),
        }
    }
}

/// Raw text of a data point, as received. Fields `period`, `numerator`,
/// `denominator` (a proportion), `value` (a count or a value), `note`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointInput<'a> {
    pub period: &'a str,
    pub numerator: &'a str,
    pub denominator: &'a str,
    pub value: &'a str,
    pub note: &'a str,
}

/// One member's data for one period of one goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPoint {
    pub period: PeriodId,
    /// The slot of the member who recorded it.
    pub by: u8,
    pub value: PointValue,
    /// May be empty.
    pub note: String,
}

/// A whole number of at most [`MAX_COUNT`]; `what` names it in messages
/// ("numerator", "count"), `ask` is the sentence asking for it; `what_fr`
/// and `ask_fr` the same in French (`what_fr` a masculine noun without its
/// article: "numérateur", "nombre").
fn parse_whole(input: &str, what: &str, ask: &str, what_fr: &str, ask_fr: &str) -> Result<u32, Invalid> {
    match parse_decimal(input, false) {
        Err(NumberProblem::Empty) => Err(Invalid::tr("required", ask, ask_fr)),
        Err(NumberProblem::Negative) => Err(Invalid::tr(
            "out_of_range",
            format!("The {what} cannot be negative. {ask}"),
            format!("Le {what_fr} ne peut pas être négatif. {ask_fr}"),
        )),
        Err(NumberProblem::Ambiguous) => Err(Invalid::tr(
            "invalid_format",
            format!("{ask}, without a thousands separator"),
            format!("{ask_fr}, sans séparateur de milliers"),
        )),
        Err(NumberProblem::NotANumber) => Err(Invalid::tr("invalid_format", ask, ask_fr)),
        Ok(v) if v.fract() != 0.0 => Err(Invalid::tr(
            "invalid_format",
            format!("The {what} is a whole number. {ask}"),
            format!("Le {what_fr} doit être entier. {ask_fr}"),
        )),
        Ok(v) if v > f64::from(MAX_COUNT) => Err(Invalid::tr(
            "out_of_range",
            format!("The {what} is at most 1,000,000"),
            format!("Le {what_fr} ne peut pas dépasser {MILLION_FR}"),
        )),
        // Whole, 0 ≤ v ≤ MAX_COUNT: the cast is exact.
        Ok(v) => Ok(v as u32),
    }
}

impl DataPoint {
    /// Parse member `by`'s point for a goal measured by `definition`, as of
    /// `today` (the program date). Every problem is reported, each naming
    /// its field (`period`, `numerator`, `denominator`, `value`, `note`);
    /// fields the measure's kind does not use are ignored.
    pub fn parse(definition: &MeasureDefinition, by: u8, input: &PointInput<'_>, today: NaiveDate) -> Result<DataPoint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, e: Invalid| errors.push(FieldError::invalid(field, e));

        let current = PeriodId::of(definition.period, today);
        let period = match PeriodId::parse_as(definition.period, input.period, current) {
            Ok(p) if !p.has_started(today) => {
                let from_fr = long_day(p.start(), Language::Fr);
                let fr = match p.period() {
                    Period::Month => format!(
                        "Le mois {} n’a pas encore commencé\u{a0}: vous pourrez saisir une donnée pour ce mois à partir du {from_fr}",
                        runchart::de(&p.label(Language::Fr))
                    ),
                    Period::Week => {
                        let w = p.start().iso_week();
                        format!(
                            "La semaine {} de {} n’a pas encore commencé\u{a0}: vous pourrez saisir une donnée pour cette semaine \
                             à partir du {from_fr}",
                            w.week(),
                            w.year()
                        )
                    }
                };
                fail(
                    "period",
                    Invalid::tr(
                        "in_future",
                        format!(
                            "{} has not started yet: you can record it from {}",
                            p.label(Language::En),
                            long_day(p.start(), Language::En)
                        ),
                        fr,
                    ),
                );
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                fail("period", e);
                None
            }
        };

        let value = match &definition.kind {
            MeasureKind::Proportion => {
                let numerator = parse_whole(
                    input.numerator,
                    "numerator",
                    "Enter the numerator as a whole number, for example 12",
                    "numérateur",
                    "Saisissez le numérateur sous forme de nombre entier, par exemple 12",
                )
                .map_err(|e| fail("numerator", e))
                .ok();
                let denominator = parse_whole(
                    input.denominator,
                    "denominator",
                    "Enter the denominator as a whole number, for example 20",
                    "dénominateur",
                    "Saisissez le dénominateur sous forme de nombre entier, par exemple 20",
                )
                .map_err(|e| fail("denominator", e))
                .ok();
                match (numerator, denominator) {
                    (_, Some(0)) => {
                        fail(
                            "denominator",
                            Invalid::tr(
                                "out_of_range",
                                "The denominator must be at least 1: it is how many were looked at",
                                "Le dénominateur doit être d’au moins 1\u{a0}: c’est le nombre de cas examinés",
                            ),
                        );
                        None
                    }
                    (Some(n), Some(d)) if n > d => {
                        fail(
                            "numerator",
                            Invalid::tr(
                                "inconsistent",
                                format!("The numerator cannot be more than the denominator ({d})"),
                                format!("Le numérateur ne peut pas dépasser le dénominateur ({d})"),
                            ),
                        );
                        None
                    }
                    (Some(numerator), Some(denominator)) => Some(PointValue::Proportion { numerator, denominator }),
                    _ => None,
                }
            }
            MeasureKind::Count => parse_whole(
                input.value,
                "count",
                "Enter the count as a whole number, for example 12",
                "nombre",
                "Saisissez un nombre entier, par exemple 12",
            )
            .map(|n| PointValue::Number(f64::from(n)))
            .map_err(|e| fail("value", e))
            .ok(),
            MeasureKind::Value { unit } => {
                let ask = format!("Enter the value as a number of {unit}, for example 12");
                let ask_fr = format!("Saisissez la valeur en {unit}, par exemple 12");
                match parse_decimal(input.value, false) {
                    Ok(v) if v > MAX_VALUE => {
                        fail(
                            "value",
                            Invalid::tr(
                                "out_of_range",
                                "The value is at most 1,000,000",
                                format!("La valeur ne peut pas dépasser {MILLION_FR}"),
                            ),
                        );
                        None
                    }
                    Ok(v) => Some(PointValue::Number(v)),
                    Err(NumberProblem::Negative) => {
                        fail(
                            "value",
                            Invalid::tr(
                                "out_of_range",
                                format!("The value cannot be negative. {ask}"),
                                format!("La valeur ne peut pas être négative. {ask_fr}"),
                            ),
                        );
                        None
                    }
                    Err(NumberProblem::Ambiguous) => {
                        fail(
                            "value",
                            Invalid::tr(
                                "invalid_format",
                                format!("{ask}, without a thousands separator"),
                                format!("{ask_fr}, sans séparateur de milliers"),
                            ),
                        );
                        None
                    }
                    Err(problem @ (NumberProblem::Empty | NumberProblem::NotANumber)) => {
                        let code = if problem == NumberProblem::Empty { "required" } else { "invalid_format" };
                        fail("value", Invalid::tr(code, ask, ask_fr));
                        None
                    }
                }
            }
        };

        let note = definition_text(input.note, NOTE_MAX, "A note", "Note").unwrap_or_else(|e| {
            fail("note", e);
            String::new()
        });

        match (period, value) {
            (Some(period), Some(value)) if errors.is_empty() => Ok(DataPoint { period, by, value, note }),
            _ => Err(errors),
        }
    }
}

/// What [`Series::record`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// The member's first point for that period.
    Added,
    /// The member's earlier point for that period, now replaced.
    Replaced(DataPoint),
}

/// A point that does not fit the series' measure (another kind of value, or
/// another kind of period): the definition changed after it was recorded,
/// or the caller skipped [`DataPoint::parse`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("this data point does not fit the measure's kind or period")]
pub struct Mismatch(pub DataPoint);

/// The group's value for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodValue {
    pub period: PeriodId,
    /// A percentage for a proportion.
    pub value: f64,
    /// How many members recorded a point for the period.
    pub members: usize,
    /// For a proportion: Σ numerators and Σ denominators.
    pub pooled: Option<(u64, u64)>,
}

/// The group's data points for one goal: at most one per member per
/// period, kept in (period, member) order.
///
/// **The group's value for a period.** For a proportion, the pooled
/// proportion: Σ numerators / Σ denominators, as a percentage, so that a
/// member who reviewed 40 charts weighs twice one who reviewed 20 (the
/// group's rate over all the charts, as one audit would give). For counts
/// and values, the mean of the members' points for the period: members do
/// not all record every period, and a sum would rise and fall with the
/// number of members recording, which a run chart would show as a change
/// in care; the mean is "per member recording". Periods without any point
/// are left out of the series (not zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    kind: MeasureKind,
    period: Period,
    points: Vec<DataPoint>,
}

impl Series {
    /// An empty series for a measure.
    pub fn new(definition: &MeasureDefinition) -> Series {
        Series { kind: definition.kind.clone(), period: definition.period, points: Vec::new() }
    }

    /// A series from stored points. A point that does not fit the measure
    /// (recorded under an earlier definition) is left out; of two points by
    /// one member for one period, the later one given is kept.
    pub fn from_points(definition: &MeasureDefinition, points: impl IntoIterator<Item = DataPoint>) -> Series {
        let mut series = Series::new(definition);
        for p in points {
            // A misfit is dropped here by design (see above).
            let _ = series.record(p);
        }
        series
    }

    fn fits(&self, point: &DataPoint) -> bool {
        self.kind.fits(&point.value) && point.period.period() == self.period
    }

    fn position(&self, period: PeriodId, by: u8) -> Result<usize, usize> {
        self.points.binary_search_by(|p| (p.period, p.by).cmp(&(period, by)))
    }

    /// Record a point; a second point by the same member for the same
    /// period replaces the first (a correction).
    pub fn record(&mut self, point: DataPoint) -> Result<Recorded, Mismatch> {
        if !self.fits(&point) {
            return Err(Mismatch(point));
        }
        match self.position(point.period, point.by) {
            Ok(i) => Ok(Recorded::Replaced(std::mem::replace(&mut self.points[i], point))),
            Err(i) => {
                self.points.insert(i, point);
                Ok(Recorded::Added)
            }
        }
    }

    /// Delete member `by`'s point for `period`: the point deleted, if there was one.
    pub fn delete(&mut self, period: PeriodId, by: u8) -> Option<DataPoint> {
        self.position(period, by).ok().map(|i| self.points.remove(i))
    }

    pub fn get(&self, period: PeriodId, by: u8) -> Option<&DataPoint> {
        self.position(period, by).ok().map(|i| &self.points[i])
    }

    /// Every point, in (period, member) order.
    pub fn points(&self) -> &[DataPoint] {
        &self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The members who have recorded a point, in slot order.
    pub fn members(&self) -> Vec<u8> {
        let mut slots: Vec<u8> = self.points.iter().map(|p| p.by).collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    /// The group's value for each period with data, in time order.
    pub fn group_values(&self) -> Vec<PeriodValue> {
        self.points
            .chunk_by(|a, b| a.period == b.period)
            .map(|chunk| {
                let period = chunk[0].period;
                let members = chunk.len();
                match self.kind {
                    MeasureKind::Proportion => {
                        let (mut n, mut d) = (0u64, 0u64);
                        for p in chunk {
                            if let PointValue::Proportion { numerator, denominator } = p.value {
                                n += u64::from(numerator);
                                d += u64::from(denominator);
                            }
                        }
                        // d > 0: every point fits (denominator ≥ 1) and a chunk is never empty.
                        let value = if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 };
                        PeriodValue { period, value, members, pooled: Some((n, d)) }
                    }
                    _ => {
                        let value = chunk.iter().map(|p| p.value.value()).sum::<f64>() / members as f64;
                        PeriodValue { period, value, members, pooled: None }
                    }
                }
            })
            .collect()
    }

    /// The group's latest value (for the status page).
    pub fn latest(&self) -> Option<PeriodValue> {
        self.group_values().pop()
    }

    /// Member `by`'s own values (a proportion as a percentage), in time order.
    pub fn member_values(&self, by: u8) -> Vec<(PeriodId, f64)> {
        self.points.iter().filter(|p| p.by == by).map(|p| (p.period, p.value.value())).collect()
    }

    /// The group's series as run-chart points: periods before `start` (for
    /// example the period the plan was submitted in) are the baseline; with
    /// no `start` (not submitted yet), every point is.
    pub fn to_runchart_points(&self, start: Option<PeriodId>, lang: Language) -> Vec<runchart::Point> {
        self.group_values().into_iter().map(|v| chart_point(v.period, v.value, start, lang)).collect()
    }

    /// Member `by`'s own series as run-chart points, with the same baseline rule.
    pub fn member_runchart_points(&self, by: u8, start: Option<PeriodId>, lang: Language) -> Vec<runchart::Point> {
        self.member_values(by).into_iter().map(|(period, value)| chart_point(period, value, start, lang)).collect()
    }
}

fn chart_point(period: PeriodId, value: f64, start: Option<PeriodId>, lang: Language) -> runchart::Point {
    let label = period.label(lang);
    if start.is_none_or(|s| period < s) {
        runchart::Point::baseline(label, value)
    } else {
        runchart::Point::new(label, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }
    fn p(s: &str) -> PeriodId {
        PeriodId::parse(s).unwrap()
    }
    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }
    fn error<'a>(errors: &'a [FieldError], field: &str) -> &'a FieldError {
        errors.iter().find(|e| e.field == field).unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
    }
    fn message<'a>(errors: &'a [FieldError], field: &str) -> &'a str {
        error(errors, field).message.as_str()
    }
    fn message_fr<'a>(errors: &'a [FieldError], field: &str) -> &'a str {
        error(errors, field).fr.as_str()
    }
    fn code<'a>(errors: &'a [FieldError], field: &str) -> &'a str {
        error(errors, field).code.as_str()
    }

    fn proportion_input() -> MeasureInput<'static> {
        MeasureInput {
            kind: "proportion",
            unit: "",
            counted: "Charts with allergy status recorded, out of the charts reviewed",
            source: "chart_audit",
            source_other: "",
            sampling: "20 random charts a month",
            period: "month",
            direction: "higher_is_better",
            baseline: "40",
            target: "75%",
            target_date: "2027-06-30",
        }
    }

    fn monthly_proportion() -> MeasureDefinition {
        MeasureDefinition::parse(1, &proportion_input()).unwrap()
    }

    fn definition(kind: &str, period: &str) -> MeasureDefinition {
        let input = MeasureInput { kind, unit: "minutes", period, baseline: "", target: "", ..proportion_input() };
        MeasureDefinition::parse(1, &input).unwrap()
    }

    #[test]
    fn months_parse_order_and_follow() {
        let nov = p("2026-11");
        assert_eq!((nov.period(), nov.start(), nov.end()), (Period::Month, d("2026-11-01"), d("2026-11-30")));
        assert_eq!(nov.key(), "2026-11");
        assert_eq!(nov.to_string(), "2026-11");
        assert_eq!(p(" 2026-1 ").key(), "2026-01");
        assert_eq!(nov.next(), p("2026-12"));
        assert_eq!(p("2026-12").next(), p("2027-01"));
        assert_eq!(p("2028-02").end(), d("2028-02-29"));
        assert!(p("2026-09") < nov && nov < p("2027-01"));
        assert_eq!(PeriodId::of(Period::Month, d("2026-11-17")), nov);
        assert_eq!(nov.label(Language::En), "November 2026");
        assert_eq!(nov.label(Language::Fr), "novembre 2026");
    }

    #[test]
    fn iso_weeks_parse_order_and_follow() {
        let w47 = p("2026-W47");
        assert_eq!((w47.period(), w47.start(), w47.end()), (Period::Week, d("2026-11-16"), d("2026-11-22")));
        assert_eq!(w47.key(), "2026-W47");
        assert_eq!(p("2026-w5").key(), "2026-W05");
        assert_eq!(w47.next(), p("2026-W48"));
        assert_eq!(w47.label(Language::En), "Week 47, 2026");
        assert_eq!(w47.label(Language::Fr), "Semaine 47, 2026");
        // 2026 has 53 ISO weeks, 2027 has 52.
        assert_eq!(p("2026-W53").next(), p("2027-W01"));
        assert_eq!(p("2027-W52").next(), p("2028-W01"));
        // Around New Year the ISO year is not the calendar year.
        assert_eq!(PeriodId::of(Period::Week, d("2026-12-31")).key(), "2026-W53");
        assert_eq!(PeriodId::of(Period::Week, d("2027-01-03")).key(), "2026-W53");
        assert_eq!(PeriodId::of(Period::Week, d("2024-12-30")).key(), "2025-W01");
        assert_eq!(PeriodId::of(Period::Week, d("2026-11-22")), w47); // a Sunday
        assert_eq!(PeriodId::of(Period::Week, d("2026-11-16")), w47); // a Monday
        assert!(p("2026-W52") < p("2026-W53") && p("2026-W53") < p("2027-W01"));
    }

    #[test]
    fn periods_refused_in_words() {
        for bad in ["", "2026", "26-11", "2026/11", "2026-111", "2026-Wx", "2026-W", "November 2026", "2026-11-01", "+2026-11"] {
            assert!(PeriodId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PeriodId::parse("2026-13").unwrap_err().en, "There is no month 13: enter a month from 1 to 12, for example 2026-11");
        assert_eq!(PeriodId::parse("2026-00").unwrap_err().en, "There is no month 0: enter a month from 1 to 12, for example 2026-11");
        assert_eq!(PeriodId::parse("2027-W53").unwrap_err().en, "2027 has weeks 1 to 52: enter a week in that range, for example 2027-W52");
        let e = PeriodId::parse("2026-13").unwrap_err();
        assert_eq!(
            (e.code, e.fr.as_str()),
            ("out_of_range", "Il n’y a pas de mois 13\u{a0}: saisissez un mois de 1 à 12, par exemple 2026-11")
        );
        assert_eq!(
            PeriodId::parse("2027-W53").unwrap_err().fr,
            "En 2027, les semaines vont de 1 à 52\u{a0}: saisissez une semaine dans cet intervalle, par exemple 2027-W52"
        );
        assert_eq!(PeriodId::parse("").unwrap_err().code, "required");
        assert_eq!(PeriodId::parse("soon").unwrap_err().code, "invalid_format");
        assert!(PeriodId::parse("2026-W00").is_err());
        let now = p("2026-11");
        assert_eq!(
            PeriodId::parse_as(Period::Month, "2026-W47", now).unwrap_err().en,
            "This measure is recorded by month: enter a month, for example 2026-11"
        );
        assert_eq!(
            PeriodId::parse_as(Period::Month, "soon", now).unwrap_err().en,
            "Enter the month as its year and month, for example 2026-11"
        );
        let week = p("2026-W47");
        assert_eq!(
            PeriodId::parse_as(Period::Week, "", week).unwrap_err().en,
            "Enter the week as its year and week number, for example 2026-W47"
        );
        assert_eq!(PeriodId::parse_as(Period::Week, "2026-W03", week).unwrap(), p("2026-W03"));
    }

    #[test]
    fn period_serde_revalidates() {
        assert_eq!(serde_json::to_string(&p("2026-W07")).unwrap(), "\"2026-W07\"");
        assert_eq!(serde_json::from_str::<PeriodId>("\"2026-11\"").unwrap(), p("2026-11"));
        assert!(serde_json::from_str::<PeriodId>("\"2026-13\"").is_err());
    }

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(parse_decimal("12", false), Ok(12.0));
        assert_eq!(parse_decimal(" 12.5 ", false), Ok(12.5));
        assert_eq!(parse_decimal("12,5", false), Ok(12.5));
        assert_eq!(parse_decimal(".5", false), Ok(0.5));
        assert_eq!(parse_decimal("5.", false), Ok(5.0));
        assert_eq!(parse_decimal("0,125", false), Ok(0.125));
        assert_eq!(parse_decimal("75%", true), Ok(75.0));
        assert_eq!(parse_decimal("75 %", true), Ok(75.0));
        assert_eq!(parse_decimal("-0", false), Ok(0.0));
        assert_eq!(parse_decimal("75%", false), Err(NumberProblem::NotANumber));
        assert_eq!(parse_decimal("", false), Err(NumberProblem::Empty));
        assert_eq!(parse_decimal("%", true), Err(NumberProblem::Empty));
        assert_eq!(parse_decimal("-3", false), Err(NumberProblem::Negative));
        assert_eq!(parse_decimal("−3", false), Err(NumberProblem::Negative));
        assert_eq!(parse_decimal("1,000", false), Err(NumberProblem::Ambiguous));
        assert_eq!(parse_decimal("1,000.5", false), Err(NumberProblem::Ambiguous));
        for bad in ["inf", "NaN", "1e5", "12 5", "1.2.3", "abc", "+5", ".", "-", "1 000"] {
            assert_eq!(parse_decimal(bad, false), Err(NumberProblem::NotANumber), "{bad:?}");
        }
        assert_eq!(parse_decimal(&"9".repeat(400), false), Ok(f64::INFINITY));
    }

    #[test]
    fn a_proportion_measure() {
        let m = monthly_proportion();
        assert_eq!(m.kind, MeasureKind::Proportion);
        assert_eq!(m.source, DataSource::ChartAudit);
        assert_eq!(m.sampling, "20 random charts a month");
        assert_eq!((m.period, m.direction), (Period::Month, Direction::HigherIsBetter));
        assert_eq!(m.baseline, Some(40.0));
        assert_eq!(m.target, Some((75.0, d("2027-06-30"))));
        assert_eq!(m.target_value(), Some(75.0));
        let back: MeasureDefinition = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert!(serde_json::to_string(&m).unwrap().contains("\"direction\":\"higher_is_better\""));
    }

    #[test]
    fn value_and_count_measures() {
        let input = MeasureInput {
            kind: "value",
            unit: " minutes ",
            counted: "Minutes from arrival to being seen, averaged over the week",
            source: "other",
            source_other: "Front-desk log",
            sampling: "",
            period: "week",
            direction: "lower_is_better",
            baseline: "42,5",
            target: "20",
            target_date: "2027-03-31",
        };
        let m = MeasureDefinition::parse(2, &input).unwrap();
        assert_eq!(m.kind, MeasureKind::Value { unit: Unit::parse("minutes").unwrap() });
        assert_eq!(m.source, DataSource::Other("Front-desk log".into()));
        assert_eq!(m.source.label(), "Front-desk log");
        assert_eq!((m.period, m.direction, m.baseline), (Period::Week, Direction::LowerIsBetter, Some(42.5)));
        assert_eq!(m.kind.format(42.5, Language::En), "42.5 minutes");
        assert_eq!(m.kind.format(42.5, Language::Fr), "42,5 minutes");

        // Sampling may be empty except for a chart audit; baseline and target are optional.
        let count = MeasureInput { kind: "count", source: "tally", sampling: "", baseline: "", target: "", target_date: "", ..input };
        let m = MeasureDefinition::parse(1, &count).unwrap();
        assert_eq!((m.kind.clone(), m.source.clone(), m.baseline, m.target), (MeasureKind::Count, DataSource::Tally, None, None));
        assert_eq!(m.kind.format(3.0, Language::En), "3");
        assert_eq!(MeasureKind::Proportion.format(66.666, Language::En), "66.7%");
        assert_eq!(MeasureKind::Proportion.format(75.0, Language::Fr), "75\u{a0}%");
    }

    #[test]
    fn every_problem_named_by_its_field() {
        let input = MeasureInput { baseline: "", target: "", target_date: "", ..MeasureInput::default() };
        let e = MeasureDefinition::parse(3, &input).unwrap_err();
        assert_eq!(
            fields(&e),
            vec![
                "goal_3_measure_kind",
                "goal_3_measure_counted",
                "goal_3_measure_source",
                "goal_3_measure_period",
                "goal_3_measure_direction"
            ]
        );
        assert_eq!(message(&e, "goal_3_measure_kind"), "Choose the type of measure: a proportion, a count or a value");
        assert_eq!(message_fr(&e, "goal_3_measure_kind"), "Choisissez le type de mesure\u{a0}: une proportion, un nombre ou une valeur");
        assert_eq!(code(&e, "goal_3_measure_kind"), "required");
        assert_eq!(code(&e, "goal_3_measure_counted"), "required");
        assert!(input.is_blank());
        assert!(!proportion_input().is_blank());
        assert!(MeasureInput { target_date: "2027-01-01", ..MeasureInput::default() }.is_blank());

        let e = MeasureDefinition::parse(1, &MeasureInput { kind: "value", unit: "", ..proportion_input() }).unwrap_err();
        assert_eq!(message(&e, "goal_1_measure_unit"), "Enter the unit of the value, for example minutes");
        let e = MeasureDefinition::parse(1, &MeasureInput { source: "other", source_other: " ", ..proportion_input() }).unwrap_err();
        assert_eq!(message(&e, "goal_1_measure_source_other"), "Say where the data come from");
        let e = MeasureDefinition::parse(1, &MeasureInput { sampling: "", ..proportion_input() }).unwrap_err();
        assert_eq!(message(&e, "goal_1_measure_sampling"), "Say how the charts are chosen, for example 20 random charts a month");
        let e = MeasureDefinition::parse(1, &MeasureInput { period: "day", direction: "up", ..proportion_input() }).unwrap_err();
        assert_eq!(fields(&e), vec!["goal_1_measure_period", "goal_1_measure_direction"]);
        assert_eq!(code(&e, "goal_1_measure_period"), "invalid_format");
        assert_eq!(message_fr(&e, "goal_1_measure_direction"), "Indiquez si une hausse ou une baisse est souhaitable");
        let long = "x".repeat(DEFINITION_FIELD_MAX + 1);
        let e = MeasureDefinition::parse(1, &MeasureInput { counted: &long, ..proportion_input() }).unwrap_err();
        assert_eq!(message(&e, "goal_1_measure_counted"), "What is counted has at most 2000 characters");
        assert_eq!(message_fr(&e, "goal_1_measure_counted"), "Ce qui est compté\u{a0}: 2\u{a0}000 caractères au maximum");
    }

    #[test]
    fn baselines_and_targets_in_the_measures_terms() {
        let with = |baseline, target| MeasureDefinition::parse(1, &MeasureInput { baseline, target, ..proportion_input() });
        let e = with("140", "abc").unwrap_err();
        assert_eq!(
            message(&e, "goal_1_baseline_value"),
            "A percentage is at most 100. Enter the baseline as a percentage from 0 to 100, for example 40"
        );
        assert_eq!(
            message_fr(&e, "goal_1_baseline_value"),
            "Un pourcentage ne peut pas dépasser 100. Saisissez le niveau de départ en pourcentage, de 0 à 100, par exemple 40"
        );
        assert_eq!((code(&e, "goal_1_baseline_value"), code(&e, "goal_1_target_value")), ("out_of_range", "invalid_format"));
        assert_eq!(message(&e, "goal_1_target_value"), "Enter the target as a percentage from 0 to 100, for example 75");
        let e = with("-5", "1,000").unwrap_err();
        assert_eq!(
            message(&e, "goal_1_baseline_value"),
            "The baseline cannot be negative. Enter the baseline as a percentage from 0 to 100, for example 40"
        );
        assert_eq!(
            message_fr(&e, "goal_1_target_value"),
            "Saisissez la cible en pourcentage, de 0 à 100, par exemple 75, sans séparateur de milliers"
        );
        assert_eq!(
            message(&e, "goal_1_target_value"),
            "Enter the target as a percentage from 0 to 100, for example 75, without a thousands separator"
        );
        assert_eq!(with("0", "100").unwrap().target, Some((100.0, d("2027-06-30"))));

        let count = |baseline, target| MeasureDefinition::parse(1, &MeasureInput { kind: "count", baseline, target, ..proportion_input() });
        assert_eq!(count("140", "200").unwrap().baseline, Some(140.0));
        assert_eq!(message(&count("x", "").unwrap_err(), "goal_1_baseline_value"), "Enter the baseline as a number, for example 40");
        assert_eq!(message(&count("", "x").unwrap_err(), "goal_1_target_value"), "Enter the target as a number, for example 75");
        assert_eq!(message(&count("2000000", "").unwrap_err(), "goal_1_baseline_value"), "The baseline is at most 1,000,000");
        assert_eq!(
            message_fr(&count("", "2000000").unwrap_err(), "goal_1_target_value"),
            "La cible ne peut pas dépasser 1\u{a0}000\u{a0}000"
        );
        assert_eq!(
            message_fr(&count("", "-1").unwrap_err(), "goal_1_target_value"),
            "La cible ne peut pas être négative. Saisissez la cible sous forme de nombre, par exemple 75"
        );

        // The target lies on the better side of the baseline.
        assert_eq!(
            message(&with("60", "50").unwrap_err(), "goal_1_target_value"),
            "Higher is better, so the target should be above the baseline (60%)"
        );
        let lower =
            MeasureDefinition::parse(1, &MeasureInput { direction: "lower_is_better", baseline: "30", target: "30", ..proportion_input() });
        assert_eq!(
            message(&lower.unwrap_err(), "goal_1_target_value"),
            "Lower is better, so the target should be below the baseline (30%)"
        );
        let e = MeasureDefinition::parse(
            1,
            &MeasureInput { direction: "lower_is_better", baseline: "30,5", target: "31", ..proportion_input() },
        )
        .unwrap_err();
        assert_eq!(code(&e, "goal_1_target_value"), "inconsistent");
        assert_eq!(
            message_fr(&e, "goal_1_target_value"),
            "Une baisse est souhaitable\u{a0}: la cible devrait donc être inférieure au niveau de départ (30,5\u{a0}%)"
        );
    }

    #[test]
    fn a_target_needs_its_date() {
        let e = MeasureDefinition::parse(1, &MeasureInput { target_date: "", ..proportion_input() }).unwrap_err();
        assert_eq!(fields(&e), vec!["goal_1_target_date"]);
        assert_eq!(message(&e, "goal_1_target_date"), "Enter the date by which you aim to reach the target");
        let e = MeasureDefinition::parse(1, &MeasureInput { target_date: "2027-02-30", ..proportion_input() }).unwrap_err();
        assert_eq!(message(&e, "goal_1_target_date"), parse_date("2027-02-30").unwrap_err().en);
        assert_eq!(message_fr(&e, "goal_1_target_date"), parse_date("2027-02-30").unwrap_err().fr);
        // Without a target value, the goal's date is no concern of the measure.
        let m = MeasureDefinition::parse(1, &MeasureInput { target: "", target_date: "2027-02-30", ..proportion_input() }).unwrap();
        assert_eq!(m.target, None);
    }

    #[test]
    fn definitions_refuse_patient_data() {
        let e = MeasureDefinition::parse(
            1,
            &MeasureInput { counted: "Charts like John Smith 1954-03-12", sampling: "MRN 123456 and others", ..proportion_input() },
        )
        .unwrap_err();
        assert_eq!(fields(&e), vec!["goal_1_measure_counted", "goal_1_measure_sampling"]);
        assert_eq!(message(&e, "goal_1_measure_sampling"), super::super::patient_data::RECORD_NUMBER);
        let e = MeasureDefinition::parse(1, &MeasureInput { source: "other", source_other: "Card 1234 567 890", ..proportion_input() })
            .unwrap_err();
        assert_eq!(message(&e, "goal_1_measure_source_other"), super::super::patient_data::HEALTH_CARD);
        assert_eq!(message_fr(&e, "goal_1_measure_source_other"), super::super::patient_data::HEALTH_CARD_FR);
        assert_eq!(code(&e, "goal_1_measure_source_other"), "patient_data");
    }

    fn point(def: &MeasureDefinition, by: u8, input: PointInput<'_>) -> Result<DataPoint, Vec<FieldError>> {
        DataPoint::parse(def, by, &input, d("2026-11-17"))
    }

    #[test]
    fn proportion_points() {
        let m = monthly_proportion();
        let ok = point(
            &m,
            2,
            PointInput { period: "2026-11", numerator: "12", denominator: "20", note: " Dr Lee audited November ", ..Default::default() },
        )
        .unwrap();
        assert_eq!((ok.period, ok.by, ok.value), (p("2026-11"), 2, PointValue::Proportion { numerator: 12, denominator: 20 }));
        assert_eq!(ok.note, "Dr Lee audited November");
        assert_eq!(ok.value.value(), 60.0);
        // The value field is not used for a proportion.
        assert!(
            point(&m, 0, PointInput { period: "2026-10", numerator: "0", denominator: "1", value: "junk", ..Default::default() }).is_ok()
        );

        let e = point(&m, 0, PointInput { period: "2026-11", numerator: "21", denominator: "20", ..Default::default() }).unwrap_err();
        assert_eq!(fields(&e), vec!["numerator"]);
        assert_eq!(message(&e, "numerator"), "The numerator cannot be more than the denominator (20)");
        assert_eq!(message_fr(&e, "numerator"), "Le numérateur ne peut pas dépasser le dénominateur (20)");
        let e = point(&m, 0, PointInput { period: "2026-11", numerator: "0", denominator: "0", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "denominator"), "The denominator must be at least 1: it is how many were looked at");
        assert_eq!(message_fr(&e, "denominator"), "Le dénominateur doit être d’au moins 1\u{a0}: c’est le nombre de cas examinés");
        let e = point(&m, 0, PointInput { period: "2026-11", numerator: "2.5", denominator: "-4", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "numerator"), "The numerator is a whole number. Enter the numerator as a whole number, for example 12");
        assert_eq!(
            message(&e, "denominator"),
            "The denominator cannot be negative. Enter the denominator as a whole number, for example 20"
        );
        let e = point(&m, 0, PointInput { period: "2026-11", ..Default::default() }).unwrap_err();
        assert_eq!(fields(&e), vec!["numerator", "denominator"]);
        let e = point(&m, 0, PointInput { period: "2026-11", numerator: "1", denominator: "2000000", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "denominator"), "The denominator is at most 1,000,000");
    }

    #[test]
    fn count_and_value_points() {
        let count = definition("count", "week");
        let ok = point(&count, 1, PointInput { period: "2026-W47", value: "7", ..Default::default() }).unwrap();
        assert_eq!(ok.value, PointValue::Number(7.0));
        let e = point(&count, 1, PointInput { period: "2026-W47", value: "7.5", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "value"), "The count is a whole number. Enter the count as a whole number, for example 12");
        assert_eq!(message_fr(&e, "value"), "Le nombre doit être entier. Saisissez un nombre entier, par exemple 12");
        let e = point(&count, 1, PointInput { period: "2026-W47", value: "", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "value"), "Enter the count as a whole number, for example 12");

        let value = definition("value", "month");
        assert_eq!(
            point(&value, 1, PointInput { period: "2026-11", value: "12,5", ..Default::default() }).unwrap().value,
            PointValue::Number(12.5)
        );
        let e = point(&value, 1, PointInput { period: "2026-11", value: "-1", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "value"), "The value cannot be negative. Enter the value as a number of minutes, for example 12");
        assert_eq!(message_fr(&e, "value"), "La valeur ne peut pas être négative. Saisissez la valeur en minutes, par exemple 12");
        let e = point(&value, 1, PointInput { period: "2026-11", value: "NaN", ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "value"), "Enter the value as a number of minutes, for example 12");
        let e = point(&value, 1, PointInput { period: "2026-11", value: &"9".repeat(400), ..Default::default() }).unwrap_err();
        assert_eq!(message(&e, "value"), "The value is at most 1,000,000");
    }

    #[test]
    fn periods_of_points() {
        let m = monthly_proportion();
        let input = |period| PointInput { period, numerator: "1", denominator: "2", ..Default::default() };
        // The current period may be recorded (it has started), the next not yet.
        assert!(point(&m, 0, input("2026-11")).is_ok());
        let e = point(&m, 0, input("2026-12")).unwrap_err();
        assert_eq!(message(&e, "period"), "December 2026 has not started yet: you can record it from 1 December 2026");
        assert_eq!(code(&e, "period"), "in_future");
        assert_eq!(
            message_fr(&e, "period"),
            "Le mois de décembre 2026 n’a pas encore commencé\u{a0}: vous pourrez saisir une donnée pour ce mois \
             à partir du 1er décembre 2026"
        );
        let april = DataPoint::parse(&m, 0, &input("2027-04"), d("2027-03-31")).unwrap_err();
        assert!(message_fr(&april, "period").starts_with("Le mois d’avril 2027 n’a pas encore commencé"), "{april:?}");
        let e = point(&m, 0, input("2026-W40")).unwrap_err();
        assert_eq!(message(&e, "period"), "This measure is recorded by month: enter a month, for example 2026-11");
        let e = point(&m, 0, input("")).unwrap_err();
        assert_eq!(message(&e, "period"), "Enter the month as its year and month, for example 2026-11");

        let weekly = definition("count", "week");
        let week = |period| DataPoint::parse(&weekly, 0, &PointInput { period, value: "3", ..Default::default() }, d("2026-11-16"));
        assert!(week("2026-W47").is_ok()); // starts on Monday 16 November
        let e = week("2026-W48").unwrap_err();
        assert_eq!(message(&e, "period"), "Week 48, 2026 has not started yet: you can record it from 23 November 2026");
        assert_eq!(
            message_fr(&e, "period"),
            "La semaine 48 de 2026 n’a pas encore commencé\u{a0}: vous pourrez saisir une donnée pour cette semaine \
             à partir du 23 novembre 2026"
        );
        assert_eq!(
            message(&week("2026-11").unwrap_err(), "period"),
            "This measure is recorded by week: enter a week, for example 2026-W47"
        );
    }

    #[test]
    fn notes_are_short_and_free_of_patient_data() {
        let m = monthly_proportion();
        let with_note = |note| point(&m, 0, PointInput { period: "2026-11", numerator: "1", denominator: "2", note, ..Default::default() });
        assert!(with_note("Reviewed 20 charts on 3 March 2026").is_ok());
        let e = with_note("Missed: 1234 567 890").unwrap_err();
        assert_eq!(fields(&e), vec!["note"]);
        assert_eq!(message(&e, "note"), super::super::patient_data::HEALTH_CARD);
        let long = "x".repeat(NOTE_MAX + 1);
        assert_eq!(message(&with_note(&long).unwrap_err(), "note"), "A note has at most 500 characters");
        assert_eq!(message_fr(&with_note(&long).unwrap_err(), "note"), "Note\u{a0}: 500 caractères au maximum");
        assert_eq!(with_note(&"x".repeat(NOTE_MAX)).unwrap().note.len(), NOTE_MAX);
    }

    #[test]
    fn point_serde_revalidates() {
        let m = monthly_proportion();
        let pt = point(&m, 3, PointInput { period: "2026-11", numerator: "12", denominator: "20", ..Default::default() }).unwrap();
        let json = serde_json::to_string(&pt).unwrap();
        assert_eq!(json, r#"{"period":"2026-11","by":3,"value":{"proportion":{"numerator":12,"denominator":20}},"note":""}"#);
        assert_eq!(serde_json::from_str::<DataPoint>(&json).unwrap(), pt);
        let bad = json.replace("\"numerator\":12", "\"numerator\":21");
        assert!(serde_json::from_str::<DataPoint>(&bad).is_err());
        assert!(serde_json::from_str::<PointValue>(r#"{"proportion":{"numerator":0,"denominator":0}}"#).is_err());
        assert!(serde_json::from_str::<PointValue>(r#"{"number":-1.0}"#).is_err());
        assert_eq!(serde_json::from_str::<PointValue>(r#"{"number":2.5}"#).unwrap(), PointValue::Number(2.5));
        assert!(PointValue::number(f64::NAN).is_err());
        assert!(PointValue::proportion(3, 2).is_err());
        let e = PointValue::proportion(1, 0).unwrap_err();
        assert_eq!((e.code, e.fr.as_str()), ("out_of_range", "Le dénominateur d’une proportion va de 1 à 1\u{a0}000\u{a0}000"));
    }

    fn prop(period: &str, by: u8, numerator: u32, denominator: u32) -> DataPoint {
        DataPoint { period: p(period), by, value: PointValue::Proportion { numerator, denominator }, note: String::new() }
    }
    fn num(period: &str, by: u8, v: f64) -> DataPoint {
        DataPoint { period: p(period), by, value: PointValue::Number(v), note: String::new() }
    }

    #[test]
    fn one_point_per_member_per_period() {
        let mut s = Series::new(&monthly_proportion());
        assert_eq!(s.record(prop("2026-10", 1, 5, 20)), Ok(Recorded::Added));
        assert_eq!(s.record(prop("2026-09", 0, 4, 20)), Ok(Recorded::Added));
        assert_eq!(s.record(prop("2026-10", 0, 8, 20)), Ok(Recorded::Added));
        assert_eq!(s.record(prop("2026-10", 1, 6, 20)), Ok(Recorded::Replaced(prop("2026-10", 1, 5, 20))));
        let order: Vec<_> = s.points().iter().map(|pt| (pt.period.key(), pt.by)).collect();
        assert_eq!(order, vec![("2026-09".to_string(), 0), ("2026-10".to_string(), 0), ("2026-10".to_string(), 1)]);
        assert_eq!(s.get(p("2026-10"), 1), Some(&prop("2026-10", 1, 6, 20)));
        assert_eq!(s.members(), vec![0, 1]);
        assert_eq!(s.delete(p("2026-10"), 1), Some(prop("2026-10", 1, 6, 20)));
        assert_eq!(s.delete(p("2026-10"), 1), None);
        assert_eq!(s.members(), vec![0]);
        // A count, or a week, does not fit a monthly proportion.
        assert_eq!(s.record(num("2026-10", 0, 3.0)), Err(Mismatch(num("2026-10", 0, 3.0))));
        assert!(s.record(prop("2026-W40", 0, 1, 2)).is_err());
        assert_eq!(s.points().len(), 2);
    }

    #[test]
    fn the_group_pools_proportions() {
        let s = Series::from_points(
            &monthly_proportion(),
            [prop("2026-10", 0, 10, 20), prop("2026-10", 1, 30, 40), prop("2026-11", 1, 9, 10), num("2026-11", 0, 99.0)],
        );
        assert_eq!(s.points().len(), 3, "the misfit is left out");
        let v = s.group_values();
        assert_eq!(v.len(), 2);
        // (10 + 30) / (20 + 40) = 66.7%, not the mean of 50% and 75% (62.5%).
        assert_eq!((v[0].period, v[0].members, v[0].pooled), (p("2026-10"), 2, Some((40, 60))));
        assert!((v[0].value - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!((v[1].value, v[1].members, v[1].pooled), (90.0, 1, Some((9, 10))));
        assert_eq!(s.latest().map(|l| l.period), Some(p("2026-11")));
        assert_eq!(s.member_values(1), vec![(p("2026-10"), 75.0), (p("2026-11"), 90.0)]);
        assert_eq!(s.member_values(0), vec![(p("2026-10"), 50.0)]);
        assert!(Series::new(&monthly_proportion()).latest().is_none());
    }

    #[test]
    fn counts_and_values_take_the_members_mean() {
        let count = definition("count", "week");
        let s = Series::from_points(
            &count,
            [num("2026-W46", 0, 4.0), num("2026-W46", 1, 7.0), num("2026-W47", 2, 3.0), num("2026-W46", 0, 6.0)],
        );
        let v = s.group_values();
        // Member 0's second point for week 46 replaced the first: (6 + 7) / 2.
        assert_eq!((v[0].value, v[0].members, v[0].pooled), (6.5, 2, None));
        assert_eq!((v[1].value, v[1].members), (3.0, 1));
    }

    #[test]
    fn runchart_points_with_a_baseline() {
        let mut s = Series::new(&monthly_proportion());
        for (i, month) in ["2026-01", "2026-02", "2026-03", "2026-05"].iter().enumerate() {
            s.record(prop(month, 0, i as u32 + 1, 10)).unwrap();
        }
        s.record(prop("2026-05", 1, 9, 10)).unwrap();
        let pts = s.to_runchart_points(Some(p("2026-03")), Language::En);
        let shape: Vec<_> = pts.iter().map(|pt| (pt.period.as_str(), pt.value, pt.baseline)).collect();
        // April has no data and is left out; March (the start) is not baseline.
        assert_eq!(
            shape,
            vec![("January 2026", 10.0, true), ("February 2026", 20.0, true), ("March 2026", 30.0, false), ("May 2026", 65.0, false)]
        );
        assert!(s.to_runchart_points(None, Language::Fr).iter().all(|pt| pt.baseline));
        assert_eq!(s.to_runchart_points(None, Language::Fr)[0].period, "janvier 2026");
        let mine: Vec<_> =
            s.member_runchart_points(1, Some(p("2026-03")), Language::En).into_iter().map(|pt| (pt.period, pt.value)).collect();
        assert_eq!(mine, vec![("May 2026".to_string(), 90.0)]);
        // What runchart.rs takes, with the measure's direction and target.
        let m = monthly_proportion();
        let a = runchart::analyse(&pts, m.direction, m.target_value());
        assert_eq!((a.points, a.enough_data, a.target_met), (4, false, Some(false)));
    }

    #[test]
    fn keys_and_labels() {
        assert_eq!(MeasureKind::Count.key(), "count");
        assert_eq!(monthly_proportion().kind.label(), "Proportion (numerator and denominator)");
        assert_eq!(DataSource::EmrReport.key(), "emr_report");
        assert_eq!(DataSource::EmrReport.label(), "EMR report");
        assert_eq!(Period::Week.key(), "week");
        assert_eq!(direction_key(Direction::LowerIsBetter), "lower_is_better");
        assert_eq!(parse_direction(direction_key(Direction::HigherIsBetter)), Ok(Direction::HigherIsBetter));
        assert_eq!(format_number(-0.01, Language::En), "0");
        assert_eq!(format_number(2.96, Language::En), "3");
        assert!(Unit::parse(&"u".repeat(UNIT_MAX + 1)).is_err());
        assert!(Unit::parse("min\nutes").is_err());
        assert_eq!(Unit::parse(" ").unwrap_err().fr, "Saisissez l’unité de la valeur, par exemple «\u{a0}minutes\u{a0}»");
        assert_eq!(Period::parse("").unwrap_err().code, "required");
        assert_eq!(Period::parse("day").unwrap_err().fr, "Choisissez la fréquence de la mesure\u{a0}: chaque semaine ou chaque mois");
    }
}
