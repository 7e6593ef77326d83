//! The facts that the site's templates, its JavaScript, the server-rendered
//! pages and the domain all need, defined once.
//!
//! This crate is pure data (plus HTML escaping): the domain (`qi-functions`)
//! builds its rules on these numbers and names, and the generator (`qi-site`)
//! exposes [`Facts::get`] to templates as the global `facts`, so a template
//! writes `maxlength="{{ facts.limits.group_name }}"` instead of a number, and
//! the browser's checks read those attributes. A test in `qi-site` fails if a
//! form's `maxlength` differs from these limits.
use serde::Serialize;

pub mod dates;
pub mod escape;
pub mod i18n;
pub use escape::escape_html;

/// Field length limits, in characters (what the domain accepts and what the
/// forms let a browser type).
pub mod limits {
    /// A CPSO number: digits only, at most this many.
    pub const CPSO_DIGITS: usize = 6;
    /// A person's name.
    pub const PERSON_NAME: usize = 100;
    /// An email address (RFC 5321 path limit).
    pub const EMAIL: usize = 254;
    /// The local part of an email address (before the `@`).
    pub const EMAIL_LOCAL: usize = 64;
    /// A group's name.
    pub const GROUP_NAME: usize = 120;
    /// A group's practice setting.
    pub const PRACTICE_SETTING: usize = 200;
    /// A PIP section (areas of strength, areas for improvement).
    pub const PIP_SECTION: usize = 4000;
    /// Each text field of a PIP goal (aim, measure, baseline, target, change ideas).
    pub const GOAL_FIELD: usize = 2000;
    /// A coaching request's message.
    pub const COACHING_MESSAGE: usize = 4000;
    /// A program cycle name, like `2026`.
    pub const CYCLE: usize = 20;
    /// Peers in a group besides the lead.
    pub const MIN_PEERS: usize = 1;
    pub const MAX_PEERS: usize = 6;
    /// Goals in one plan.
    pub const MAX_GOALS: usize = 10;
    /// Goals that must count toward the plan (at most one self-care goal counts).
    pub const MIN_COUNTING_GOALS: usize = 2;
    /// Years a submitted plan fulfils each member's quality requirement.
    pub const REQUIREMENT_YEARS: u32 = 5;
}

/// A thing with a stable key (forms, JSON, the store) and the name people
/// read, in English (`label`) and French (`label_fr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Named {
    pub key: &'static str,
    pub label: &'static str,
    pub label_fr: &'static str,
}

impl Named {
    /// The name in `lang` (`fr`, else English).
    pub fn label_in(&self, lang: &str) -> &'static str {
        if lang == "fr" {
            self.label_fr
        } else {
            self.label
        }
    }
}

/// The four individual QI activities, in program order.
pub const ACTIVITIES: [Named; 4] = [
    Named { key: "qi_survey", label: "QI Survey", label_fr: "Sondage sur l’AQ" },
    Named { key: "practice_profile", label: "Practice Profile", label_fr: "Profil de pratique" },
    Named { key: "chart_review", label: "Self-Guided Chart Review", label_fr: "Revue de dossiers autodirigée" },
    Named { key: "data_driven_qi", label: "Data-Driven QI", label_fr: "AQ fondée sur les données" },
];

/// The kinds of PIP goal.
pub const GOAL_KINDS: [Named; 2] = [
    Named { key: "practice", label: "Practice improvement", label_fr: "Amélioration de la pratique" },
    Named { key: "self_care", label: "Physician health or self-care", label_fr: "Santé et bien-être du médecin" },
];

/// The kinds of a goal's measure, as the plan form offers them (the keys
/// are `qi_functions::domain::measure::MeasureKind::key`).
pub const MEASURE_KINDS: [Named; 3] = [
    Named {
        key: "proportion",
        label: "A proportion: how many out of how many (for example charts with allergies recorded, of charts reviewed)",
        label_fr:
            "Une proportion : combien sur combien (par exemple les dossiers où les allergies sont consignées, sur les dossiers examinés)",
    },
    Named {
        key: "count",
        label: "A count per period (for example missed follow-ups a month)",
        label_fr: "Un nombre par période (par exemple les suivis manqués par mois)",
    },
    Named {
        key: "value",
        label: "A value with a unit (for example minutes of waiting)",
        label_fr: "Une valeur avec son unité (par exemple les minutes d’attente)",
    },
];

/// Where a measure's data come from (`DataSource::key`).
pub const DATA_SOURCES: [Named; 4] = [
    Named { key: "emr_report", label: "A report or search in the EMR", label_fr: "Un rapport ou une recherche dans le DME" },
    Named {
        key: "chart_audit",
        label: "A chart audit (a sample of charts reviewed by hand)",
        label_fr: "Une vérification de dossiers (un échantillon de dossiers examinés à la main)",
    },
    Named { key: "tally", label: "A tally kept as it happens", label_fr: "Un décompte tenu au fur et à mesure" },
    Named { key: "other", label: "Something else (describe it below)", label_fr: "Une autre source (précisez-la ci-dessous)" },
];

/// How often a measure is recorded (`Period::key`).
pub const MEASURE_PERIODS: [Named; 2] = [
    Named { key: "month", label: "Every month", label_fr: "Chaque mois" },
    Named { key: "week", label: "Every week", label_fr: "Chaque semaine" },
];

/// Which way a measure is better (`direction_key`).
pub const DIRECTIONS: [Named; 2] = [
    Named { key: "higher_is_better", label: "Higher is better", label_fr: "Une hausse est souhaitable" },
    Named { key: "lower_is_better", label: "Lower is better", label_fr: "Une baisse est souhaitable" },
];

/// What a coaching request is about.
pub const COACHING_TOPICS: [Named; 6] = [
    Named { key: "getting_started", label: "Getting started as a group", label_fr: "Les débuts du groupe" },
    Named { key: "activities", label: "The four activities", label_fr: "Les quatre activités" },
    Named { key: "pip_goals", label: "The Group PIP and its goals", label_fr: "Le PAP du groupe et ses objectifs" },
    Named { key: "measurement", label: "Measuring improvement and data", label_fr: "La mesure de l’amélioration et les données" },
    Named { key: "self_care", label: "Physician health and self-care goals", label_fr: "Les objectifs de santé personnelle" },
    Named { key: "other", label: "Something else", label_fr: "Un autre sujet" },
];

/// The states of a group's plan, as the API and the pages name them.
pub const PIP_STATES: [Named; 3] = [
    Named { key: "none", label: "Not started", label_fr: "Non commencé" },
    Named { key: "draft", label: "Draft, not submitted", label_fr: "Brouillon, non soumis" },
    Named { key: "submitted", label: "Submitted", label_fr: "Soumis" },
];

/// The CPD credits table program staff maintain (`functions/data/credits.toml`),
/// as text: the domain parses and checks it, the site's templates read it.
pub const CREDITS_TOML: &str = include_str!("../../data/credits.toml");

/// Every fact above, in the shape templates and JavaScript read.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub limits: Limits,
    pub activities: &'static [Named],
    pub goal_kinds: &'static [Named],
    pub measure_kinds: &'static [Named],
    pub data_sources: &'static [Named],
    pub measure_periods: &'static [Named],
    pub directions: &'static [Named],
    pub coaching_topics: &'static [Named],
    pub pip_states: &'static [Named],
}

/// [`limits`] as a serializable struct (field names as in templates).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Limits {
    pub cpso_digits: usize,
    pub person_name: usize,
    pub email: usize,
    pub group_name: usize,
    pub practice_setting: usize,
    pub pip_section: usize,
    pub goal_field: usize,
    pub coaching_message: usize,
    pub min_peers: usize,
    pub max_peers: usize,
    pub max_goals: usize,
    pub min_counting_goals: usize,
    pub requirement_years: u32,
}

impl Facts {
    /// The facts as templates and scripts read them in `lang`: each name's
    /// `label` is the one in that language (`label_fr` for French).
    pub fn json_in(lang: &str) -> serde_json::Value {
        fn localize(v: &mut serde_json::Value, lang: &str) {
            match v {
                serde_json::Value::Object(map) => {
                    if lang == "fr" {
                        if let Some(fr) = map.get("label_fr").cloned() {
                            map.insert("label".into(), fr);
                        }
                    }
                    map.values_mut().for_each(|x| localize(x, lang));
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(|x| localize(x, lang)),
                _ => {}
            }
        }
        let mut v = serde_json::to_value(Facts::get()).unwrap_or(serde_json::Value::Null);
        localize(&mut v, lang);
        v
    }

    pub fn get() -> Facts {
        use limits::*;
        Facts {
            limits: Limits {
                cpso_digits: CPSO_DIGITS,
                person_name: PERSON_NAME,
                email: EMAIL,
                group_name: GROUP_NAME,
                practice_setting: PRACTICE_SETTING,
                pip_section: PIP_SECTION,
                goal_field: GOAL_FIELD,
                coaching_message: COACHING_MESSAGE,
                min_peers: MIN_PEERS,
                max_peers: MAX_PEERS,
                max_goals: MAX_GOALS,
                min_counting_goals: MIN_COUNTING_GOALS,
                requirement_years: REQUIREMENT_YEARS,
            },
            activities: &ACTIVITIES,
            goal_kinds: &GOAL_KINDS,
            measure_kinds: &MEASURE_KINDS,
            data_sources: &DATA_SOURCES,
            measure_periods: &MEASURE_PERIODS,
            directions: &DIRECTIONS,
            coaching_topics: &COACHING_TOPICS,
            pip_states: &PIP_STATES,
        }
    }

    /// The label of the activity, goal kind, topic or state with this key.
    pub fn label_of(table: &[Named], key: &str) -> Option<&'static str> {
        table.iter().find(|n| n.key == key).map(|n| n.label)
    }
}

/// `4000` → `4,000`: a number written the way the guidance's prose writes
/// numbers (the site's `thousands` filter and the server pages' own).
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`thousands`] as `lang` writes it: `4,000`, or in French `4 000` (a
/// no-break space, so the number never wraps).
pub fn thousands_in(n: i64, lang: &str) -> String {
    let s = thousands(n);
    if lang == "fr" {
        s.replace(',', "\u{a0}")
    } else {
        s
    }
}

/// Whether a static file of the site is also published under its own name
/// (beside its content-hashed copy): the stylesheets and scripts, which the
/// functions' pages link as `/css/<name>.css` and `/js/<name>.js`.
pub fn has_stable_name(key: &str) -> bool {
    let one_level = |dir: &str, ext: &str| {
        key.strip_prefix(dir).and_then(|f| f.strip_suffix(ext)).is_some_and(|stem| !stem.is_empty() && !stem.contains('/'))
    };
    one_level("css/", ".css") || one_level("js/", ".js")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_in_each_table() {
        for table in
            [&ACTIVITIES[..], &GOAL_KINDS, &MEASURE_KINDS, &DATA_SOURCES, &MEASURE_PERIODS, &DIRECTIONS, &COACHING_TOPICS, &PIP_STATES]
        {
            let mut keys: Vec<_> = table.iter().map(|n| n.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), table.len());
        }
    }

    #[test]
    fn label_lookup() {
        assert_eq!(Facts::label_of(&ACTIVITIES, "chart_review"), Some("Self-Guided Chart Review"));
        assert_eq!(Facts::label_of(&ACTIVITIES, "nope"), None);
    }
}
