//! Run charts (`cargo bench -p qi-functions --bench charts`): the Anhøj
//! analysis of a 500-point series, its SVG chart and its data table. The
//! issue's target: rendering a 500-point chart takes well under a
//! millisecond (measured here, never asserted in a test).
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use qi_functions::domain::runchart::{analyse, Direction, Point};
use qi_functions::domain::Language;
use qi_functions::http::chart::{data_table_html, run_chart_svg, Marker};

/// 500 weekly values: noise around 40 (a fixed pseudo-random sequence), a
/// 20-week baseline, and a shift down by 5 from week 400.
fn series() -> Vec<Point> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..500)
        .map(|i| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 33) as f64 / f64::from(1u32 << 31) * 10.0 - 5.0;
            let value = 40.0 + noise - if i >= 400 { 5.0 } else { 0.0 };
            Point { period: format!("{}-W{:02}", 2016 + i / 52, i % 52 + 1), value, baseline: i < 20 }
        })
        .collect()
}

fn charts(c: &mut Criterion) {
    let points = series();
    let markers: Vec<Marker> = (0..12).map(|k| Marker::new(k * 40 + 10, format!("PDSA cycle {}", k + 1))).collect();
    let analysis = analyse(&points, Direction::LowerIsBetter, Some(35.0));
    let mut g = c.benchmark_group("run chart, 500 points");
    g.bench_function("analyse (Anhøj rules)", |b| b.iter(|| analyse(black_box(&points), Direction::LowerIsBetter, Some(35.0))));
    g.bench_function("render SVG", |b| {
        b.iter(|| {
            run_chart_svg("Wait for a call back (minutes)", black_box(&points), &analysis, Some(35.0), &markers, " min", Language::En)
        })
    });
    g.bench_function("render data table", |b| {
        b.iter(|| data_table_html("Wait for a call back", black_box(&points), &analysis, &markers, " min", Language::En))
    });
    g.bench_function("analyse, SVG and table", |b| {
        b.iter(|| {
            let analysis = analyse(black_box(&points), Direction::LowerIsBetter, Some(35.0));
            let svg = run_chart_svg("Wait for a call back (minutes)", &points, &analysis, Some(35.0), &markers, " min", Language::En);
            let table = data_table_html("Wait for a call back", &points, &analysis, &markers, " min", Language::En);
            (svg, table)
        })
    });
    g.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
