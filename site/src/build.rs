//! A build, orchestrated: load everything into the library and check it
//! (`prepare`), render every page's Markdown in parallel, check the links
//! (`links`), then write every output (`write`) into a sink (a folder,
//! memory for `qi serve`, or nothing for `qi check`).
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::{fail, Problem, Problems};
use crate::links::check_links;
use crate::markdown::Rendered;
use crate::prepare::{prepare, render_markdown, Options, Prepared};
use crate::render::Shared;
use crate::sink::Sink;
use crate::write::{io_problem, page_problems, write_alias, write_listings, write_page, write_robots, write_specials, PageFailure};

/// What a successful build made.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages: usize,
    pub sections: usize,
    pub aliases: usize,
    pub assets: usize,
    pub files: usize,
    pub elapsed: Duration,
    /// What `qi check` reports without failing (straight quotes in prose),
    /// sorted by place. Empty for other builds.
    pub warnings: Vec<Problem>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pages, {} sections, {} redirects, {} static files, {} content files in {:.2}s",
            self.pages,
            self.sections,
            self.aliases,
            self.assets,
            self.files,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Build the site into `sink`. All problems found are returned together.
pub fn build(opts: &Options, sink: &dyn Sink) -> Result<Summary, Problems> {
    build_keeping(opts, sink).map(|(summary, _, _)| summary)
}

/// A full build that also hands back what it loaded and rendered (for
/// `crate::incremental`).
pub(crate) fn build_keeping(opts: &Options, sink: &dyn Sink) -> Result<(Summary, Prepared, Vec<Option<Rendered>>), Problems> {
    let started = Instant::now();
    // QI_TIMINGS=1 prints how long each phase took (for benchmarking).
    let timings = std::env::var_os("QI_TIMINGS").is_some();
    let mut phase_start = Instant::now();
    let mut phase = |name: &str| {
        if timings {
            eprintln!("  {name}: {:.0} ms", phase_start.elapsed().as_secs_f64() * 1000.0);
        }
        phase_start = Instant::now();
    };
    let mut problems = Vec::new();
    let p = prepare(opts, &mut problems)?;
    phase("load and templates");

    // Phase 2: Markdown, in parallel.
    let results: Vec<Result<Rendered, Vec<Problem>>> = (0..p.lib.entries.len()).into_par_iter().map(|i| render_markdown(&p, i)).collect();
    let mut rendered: Vec<Option<Rendered>> = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(r) => rendered.push(Some(r)),
            Err(ps) => {
                problems.extend(ps);
                rendered.push(None);
            }
        }
    }
    phase("markdown");
    check_links(&p, &rendered, &mut problems);
    if !problems.is_empty() && !opts.check {
        return Err(fail(problems));
    }
    phase("links");

    // Phase 3: outputs.
    write_robots(&p, sink, &mut problems);
    write_listings(&p, &rendered, sink, &mut problems);
    let shared = Shared::new(&p.lib, &p.config, p.config_values.clone(), p.theme.facts.clone());
    let mut failures = write_specials(&p, &shared, sink);
    for a in &p.lib.aliases {
        write_alias(&p, a, sink, &mut problems);
    }
    phase("feed, sitemap, search index, special pages");

    let total = rendered.len();
    let done = AtomicUsize::new(0);
    let show_progress = opts.progress && total >= 200 && std::io::stderr().is_terminal();
    let last_shown = Mutex::new(Instant::now());
    let page_failures: Vec<PageFailure> = rendered
        .par_iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let result = write_page(&p, &shared, i, r.as_ref()?, sink);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if show_progress {
                // Only this progress line is behind the lock: a poisoned one is still a time.
                let mut last = last_shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if last.elapsed() > Duration::from_millis(100) || n == total {
                    *last = Instant::now();
                    eprint!("\rRendering pages: {n}/{total}");
                    let _ = std::io::stderr().flush();
                }
            }
            result
        })
        .collect();
    if show_progress {
        eprintln!();
    }
    failures.extend(page_failures);
    problems.extend(page_problems(failures));
    drop(shared);
    phase("pages");

    let copies: Vec<Problem> = p
        .assets
        .files
        .par_iter()
        .map(|(path, src)| (path.clone(), src.clone()))
        .chain(p.lib.files.par_iter().map(|f| (f.path.trim_start_matches('/').to_string(), f.source.clone())))
        .filter_map(|(path, src)| sink.copy(&path, &src).err().map(|e| io_problem(&path, e)))
        .collect();
    problems.extend(copies);

    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let sections = p.lib.entries.iter().filter(|e| e.is_section()).count();
    let summary = Summary {
        pages: p.lib.entries.len() - sections,
        sections,
        aliases: p.lib.aliases.len(),
        assets: p.assets.files.len(),
        files: p.lib.files.len(),
        elapsed: started.elapsed(),
        warnings: fail(rendered.iter().flatten().flat_map(|r| r.warnings.iter().cloned()).chain(p.warnings.iter().cloned()).collect()).0,
    };
    Ok((summary, p, rendered))
}
