//! Hot paths of a build (`cargo bench -p qi-site`): one page's Markdown to
//! HTML (headings, TOC, `@/` links, a table, a shortcode), and a whole
//! 200-page site built into nothing (all phases, no disk writes).
// Test and benchmark scaffolding outside #[test] functions: a failure here is
// a failed run with its message, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qi_site::config::Config;
use qi_site::library::Library;
use qi_site::markdown::Renderer;
use qi_site::shortcode::{Call, ShortcodeError, Shortcodes};
use serde_json::Value;

/// Stands in for the tera shortcodes, so the Markdown pass is measured alone.
struct Plain;
impl Shortcodes for Plain {
    fn check(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn render(&self, call: &Call, body: Option<&str>, _: &Value) -> Result<String, ShortcodeError> {
        Ok(format!("<aside class=\"{}\">{}</aside>", call.name, body.unwrap_or("")))
    }
}

const PAGE: &str = r#"+++
title = "Measuring your goals"
description = "How to turn an aim into a measure, a baseline and a target."
weight = 3
+++

## Why measure

A **measurable** goal says what will change, by *how much* and by when. The
study of quality improvement plans found that poor measurement held
improvement back, so each goal in your Group PIP has a measure. See
[setting goals](@/guide/goals.md#choosing-a-goal) and the [guide](@/guide/_index.md).

{% callout(kind="tip") %}
Start from data you already have: your EMR can count most things.
{% end %}

## From aim to measure

1. Write the aim as a sentence: *what* improves, for *whom*.
2. Choose one number that shows it: a percentage, a count, a wait time.
3. Record the baseline before you change anything.
4. Set a target and a date.

| Aim | Measure | Baseline | Target |
|---|---|---:|---:|
| More patients screened | % of eligible patients screened | 52 % | 70 % |
| Shorter waits | days to third next available | 14 | 7 |
| Safer prescribing | patients on 10+ medications reviewed | 10 | 40 |

### Checking progress

Look at the measure every month. If it does not move, try another change
idea: small tests of change, one at a time, are easier to learn from.

## Common questions

- **Can a self-care goal count?** Yes, one of the two goals can be a
  physician health or self-care goal.
- **What if we have no data?** Start by collecting it: the first month's
  count is your baseline.
- Back to [the top](#why-measure).
"#;

const GOALS: &str = "+++\ntitle = \"Goals\"\n+++\n\n## Choosing a goal\n\nText.\n";

fn fixture(dir: &Path) {
    let w = |p: &str, t: &str| {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    w("site.toml", "title = \"Bench\"\nbase_url = \"https://bench.example.org\"\n");
    w("content/_index.md", "+++\ntitle = \"Home\"\n+++\n\nHome.\n");
    w("content/guide/_index.md", "+++\ntitle = \"Guide\"\n+++\n\nThe guide.\n");
    w("content/guide/goals.md", GOALS);
    w("content/guide/measuring.md", PAGE);
}

fn markdown(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let config = Config::load(dir.path(), None).unwrap();
    let mut problems = Vec::new();
    let langs: Vec<String> = config.languages.iter().map(|l| l.code.clone()).collect();
    let lib = Library::load(dir.path(), &config.content_dir, &langs, false, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let i = lib.by_key["guide/measuring.md"];
    let e = &lib.entries[i];
    let page = serde_json::json!({ "title": e.fm.title });
    let mut g = c.benchmark_group("markdown");
    g.throughput(Throughput::Bytes((e.source.text.len() - e.body_offset) as u64));
    g.bench_function("one 2 KB page to HTML", |b| {
        b.iter(|| {
            let r = Renderer {
                source: &e.source,
                entry: i,
                lib: &lib,
                config: &config,
                shortcodes: &Plain,
                page: &page,
                check_external: false,
            };
            let out = r.render(e.body_offset).unwrap();
            assert!(out.html.contains("id=\"checking-progress\""));
            out
        })
    });
    g.finish();
}

/// The repository's own theme (templates and static files) on a generated
/// 200-page site, built into a NullSink.
fn whole_site(c: &mut Criterion) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    std::fs::write(
        dir.path().join("site.toml"),
        format!(
            "title = \"Bench\"\nbase_url = \"https://bench.example.org\"\ntemplates_dir = {:?}\nstatic_dir = {:?}\n",
            repo.join("site/templates").display().to_string(),
            repo.join("site/static").display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("functions/data")).unwrap();
    std::fs::copy(repo.join("functions/data/credits.toml"), dir.path().join("functions/data/credits.toml")).unwrap();
    for s in 0..10 {
        let sec = dir.path().join(format!("content/s{s}"));
        std::fs::create_dir_all(&sec).unwrap();
        std::fs::write(sec.join("_index.md"), format!("+++\ntitle = \"Section {s}\"\nweight = {s}\n+++\n\nSection.\n")).unwrap();
        for p in 0..20 {
            let text = PAGE.replace("title = \"Measuring your goals\"", &format!("title = \"Page {s}-{p}\""));
            std::fs::write(sec.join(format!("p{p}.md")), text).unwrap();
        }
    }
    let opts = qi_site::Options::new(dir.path());
    let mut g = c.benchmark_group("build");
    g.sample_size(20);
    g.bench_function("200 pages, repository theme, no writes", |b| {
        b.iter(|| qi_site::build(&opts, &qi_site::NullSink).unwrap_or_else(|p| panic!("{p}")))
    });
    g.finish();
}

criterion_group!(benches, markdown, whole_site);
criterion_main!(benches);
