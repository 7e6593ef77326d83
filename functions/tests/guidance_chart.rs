//! The worked example in content/pip/worked-example.md and its French
//! version content/pip/worked-example.fr.md, checked against the code: its
//! numbers give the verdicts and limits each page states, in the words the
//! chart uses in that language, and each page's chart
//! (content/pip/worked-example-run-chart.svg, and .fr.svg for the French
//! page) is the one the service draws for that data in that language.
//! `QI_BLESS=1 cargo test --test guidance_chart` rewrites the charts after a
//! change to the drawing.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::PathBuf;

use qi_functions::domain::runchart::{analyse, Analysis, Direction, Point};
use qi_functions::domain::Language;
use qi_functions::http::chart::{number_in, run_chart_svg, Marker};

const MONTHS: [&str; 16] = [
    "January 2025",
    "February 2025",
    "March 2025",
    "April 2025",
    "May 2025",
    "June 2025",
    "July 2025",
    "August 2025",
    "September 2025",
    "October 2025",
    "November 2025",
    "December 2025",
    "January 2026",
    "February 2026",
    "March 2026",
    "April 2026",
];
/// The months as the French pages and the service write them (no capital).
const MONTHS_FR: [&str; 16] = [
    "janvier 2025",
    "février 2025",
    "mars 2025",
    "avril 2025",
    "mai 2025",
    "juin 2025",
    "juillet 2025",
    "août 2025",
    "septembre 2025",
    "octobre 2025",
    "novembre 2025",
    "décembre 2025",
    "janvier 2026",
    "février 2026",
    "mars 2026",
    "avril 2026",
];
/// The group's numerators, out of 30 charts a month (the page's table).
const OF_30: [u32; 16] = [12, 14, 11, 13, 14, 11, 12, 15, 18, 20, 21, 22, 23, 22, 24, 23];
const TARGET: f64 = 75.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn months(lang: Language) -> &'static [&'static str; 16] {
    match lang {
        Language::En => &MONTHS,
        Language::Fr => &MONTHS_FR,
    }
}

/// The page of the worked example in `lang`.
fn page(lang: Language) -> String {
    let file = match lang {
        Language::En => "content/pip/worked-example.md",
        Language::Fr => "content/pip/worked-example.fr.md",
    };
    std::fs::read_to_string(root().join(file)).unwrap()
}

/// A quotation as the page in `lang` writes it: “…”, or « … » with
/// non-breaking spaces inside.
fn quoted(text: &str, lang: Language) -> String {
    match lang {
        Language::En => format!("“{text}”"),
        Language::Fr => format!("«\u{a0}{text}\u{a0}»"),
    }
}

/// The first `n` months as run-chart points, labelled in `lang`: January to
/// June 2025 are the baseline.
fn points(n: usize, lang: Language) -> Vec<Point> {
    (0..n)
        .map(|i| {
            let v = 100.0 * f64::from(OF_30[i]) / 30.0;
            let month = months(lang)[i];
            if i < 6 {
                Point::baseline(month, v)
            } else {
                Point::new(month, v)
            }
        })
        .collect()
}

fn analysis(n: usize, lang: Language) -> Analysis {
    analyse(&points(n, lang), Direction::HigherIsBetter, Some(TARGET))
}

/// What the page in `lang` says the code says: the two verdicts it quotes
/// (`first`, with six points, and `shift`, with fifteen, both given here in
/// full so that a change to the wording shows in this test), and the
/// month-by-month table of useful points, runs and crossings.
fn check_page(lang: Language, first: &str, shift: &str) {
    let page = page(lang);
    let a = analysis(6, lang);
    assert_eq!(a.summary_in(lang), first);
    assert!(page.contains(&quoted(first, lang)), "the {lang:?} page quotes the first verdict: {}", quoted(first, lang));
    // The page's month-by-month table: n, longest run (limit), crossings (limit).
    let table =
        [(10, 3, 6, 5, 2), (11, 4, 6, 5, 2), (12, 5, 7, 5, 3), (13, 6, 7, 5, 3), (14, 7, 7, 5, 4), (15, 8, 7, 5, 4), (16, 9, 7, 5, 4)];
    for (n, run, run_limit, crossings, crossings_limit) in table {
        let a = analysis(n, lang);
        assert_eq!(a.median.map(|m| (m * 10.0).round() / 10.0), Some(45.0), "the median fixed on the first 10 points");
        assert_eq!(
            (a.useful, a.longest_run, a.longest_run_limit, a.crossings, a.crossings_limit),
            (n, run, run_limit, crossings, crossings_limit),
            "{n} points"
        );
        assert_eq!(a.shift, n >= 15, "{n} points");
        assert!(!a.few_crossings);
        // The page's row for that month, its verdict named as the chart names it ("Shift", "Aucun signal").
        let summary = a.summary_in(lang);
        let verdict = summary.split(':').next().unwrap().trim_end();
        let mut month = months(lang)[n - 1].to_string();
        month[..1].make_ascii_uppercase();
        let row = format!("| {month} | {n} | {run} ({run_limit}) | {crossings} ({crossings_limit}) | {verdict}");
        assert!(page.contains(&row), "the {lang:?} page's table has the row {row}");
    }
    let march = analysis(15, lang);
    assert_eq!(march.summary_in(lang), shift);
    assert!(page.contains(&quoted(shift, lang)), "the {lang:?} page quotes the shift as the chart states it: {}", quoted(shift, lang));
}

#[test]
fn the_worked_example_says_what_the_code_says() {
    check_page(
        Language::En,
        "Not enough data yet to judge: 6 of the 10 points needed.",
        "Shift: the last 8 points are above the median, which is unlikely to be chance. Higher is better, so this is an improvement.",
    );
}

#[test]
fn the_french_worked_example_says_what_the_code_says() {
    check_page(
        Language::Fr,
        "Pas encore assez de données pour se prononcer\u{a0}: 6 des 10 points nécessaires.",
        "Déplacement\u{a0}: les 8 derniers points sont au-dessus de la médiane, ce qui a peu de chances d’être dû au hasard. \
         Une hausse est souhaitable\u{a0}: il s’agit donc d’une amélioration.",
    );
}

/// The chart in `lang`, as the service draws the group's goal in April 2026.
fn chart(lang: Language) -> String {
    let all = points(16, lang);
    let a = analysis(16, lang);
    let (title, markers) = match lang {
        Language::En => (
            "Charts with allergy status recorded, January 2025 to April 2026",
            [Marker::new(6, "PDSA 1: front desk (one physician)"), Marker::new(7, "PDSA 2: all three")],
        ),
        Language::Fr => (
            "Dossiers dont le statut allergique est consigné, de janvier 2025 à avril 2026",
            [Marker::new(6, "PFEA 1\u{a0}: accueil (un seul médecin)"), Marker::new(7, "PFEA 2\u{a0}: les trois")],
        ),
    };
    run_chart_svg(title, &all, &a, Some(TARGET), &markers, "%", lang)
}

/// Checks, or with `QI_BLESS` writes, the committed chart in `lang`, and
/// that the page shows it with an alternative text giving its span, its
/// median, its target and the months of its markers.
fn check_chart(lang: Language, file: &str) {
    let svg = chart(lang);
    let path = root().join("content").join(file);
    if std::env::var_os("QI_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{svg}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(committed.trim_end(), svg, "{} is out of date: run QI_BLESS=1 cargo test --test guidance_chart", path.display());

    let page = page(lang);
    let image = format!("](/{file})");
    let end = page.find(&image).unwrap_or_else(|| panic!("the {lang:?} page shows /{file}"));
    let start = page[..end].rfind("![").expect("an image's alternative text");
    let alt = &page[start + 2..end];
    let percent = |v: f64| match lang {
        Language::En => format!("{}%", number_in(v, lang)),
        Language::Fr => format!("{}\u{a0}%", number_in(v, lang)),
    };
    let a = analysis(16, lang);
    let m = months(lang);
    for said in [percent(a.median.unwrap()), percent(TARGET), m[0].to_string(), m[15].to_string(), m[6].to_string(), m[7].to_string()] {
        assert!(alt.contains(&said), "the {lang:?} chart's alternative text says {said:?}: {alt}");
    }
}

#[test]
fn the_worked_example_chart_is_the_services() {
    check_chart(Language::En, "pip/worked-example-run-chart.svg");
}

#[test]
fn the_french_worked_example_chart_is_the_services() {
    check_chart(Language::Fr, "pip/worked-example-run-chart.fr.svg");
}
