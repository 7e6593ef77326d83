//! The worked example in content/pip/worked-example.md, checked against the
//! code: its numbers give the verdicts and limits the page states, and its
//! chart (content/pip/worked-example-run-chart.svg) is the one the
//! service draws for that data. `QI_BLESS=1 cargo test --test
//! guidance_chart` rewrites the chart after a change to the drawing.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::PathBuf;

use qi_functions::domain::runchart::{analyse, Direction, Point};
use qi_functions::http::chart::{run_chart_svg, Marker};

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
/// The group's numerators, out of 30 charts a month (the page's table).
const OF_30: [u32; 16] = [12, 14, 11, 13, 14, 11, 12, 15, 18, 20, 21, 22, 23, 22, 24, 23];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The first `n` months as run-chart points: January to June 2025 are the baseline.
fn points(n: usize) -> Vec<Point> {
    (0..n)
        .map(|i| {
            let v = 100.0 * f64::from(OF_30[i]) / 30.0;
            if i < 6 {
                Point::baseline(MONTHS[i], v)
            } else {
                Point::new(MONTHS[i], v)
            }
        })
        .collect()
}

#[test]
fn the_worked_example_says_what_the_code_says() {
    let page = std::fs::read_to_string(root().join("content/pip/worked-example.md")).unwrap();
    let a = analyse(&points(6), Direction::HigherIsBetter, Some(75.0));
    assert_eq!(a.summary(), "Not enough data yet to judge: 6 of the 10 points needed.");
    assert!(page.contains(&format!("“{}”", a.summary())), "the page quotes the first verdict");
    // The page's month-by-month table: n, longest run (limit), crossings (limit).
    let table =
        [(10, 3, 6, 5, 2), (11, 4, 6, 5, 2), (12, 5, 7, 5, 3), (13, 6, 7, 5, 3), (14, 7, 7, 5, 4), (15, 8, 7, 5, 4), (16, 9, 7, 5, 4)];
    for (n, run, run_limit, crossings, crossings_limit) in table {
        let a = analyse(&points(n), Direction::HigherIsBetter, Some(75.0));
        assert_eq!(a.median.map(|m| (m * 10.0).round() / 10.0), Some(45.0), "the median fixed on the first 10 points");
        assert_eq!(
            (a.useful, a.longest_run, a.longest_run_limit, a.crossings, a.crossings_limit),
            (n, run, run_limit, crossings, crossings_limit),
            "{n} points"
        );
        assert_eq!(a.shift, n >= 15, "{n} points");
        assert!(!a.few_crossings);
    }
    let march = analyse(&points(15), Direction::HigherIsBetter, Some(75.0));
    assert_eq!(
        march.summary(),
        "Shift: the last 8 points are above the median, which is unlikely to be chance. Higher is better, so this is an improvement."
    );
    assert!(page.contains(&format!("“{}”", march.summary())), "the page quotes the shift as the chart states it");
}

#[test]
fn the_worked_example_chart_is_the_services() {
    let all = points(16);
    let a = analyse(&all, Direction::HigherIsBetter, Some(75.0));
    let markers = [Marker::new(6, "PDSA 1: front desk (one physician)"), Marker::new(7, "PDSA 2: all three")];
    let svg = run_chart_svg("Charts with allergy status recorded, January 2025 to April 2026", &all, &a, Some(75.0), &markers, "%");
    let file = root().join("content/pip/worked-example-run-chart.svg");
    if std::env::var_os("QI_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, format!("{svg}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(committed.trim_end(), svg, "{} is out of date: run QI_BLESS=1 cargo test --test guidance_chart", file.display());
}
