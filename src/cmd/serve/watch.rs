//! Watch the site's sources and rebuild into memory after each change,
//! publishing every build (good or failed) to the server.
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use tokio::sync::watch as latest;

use super::{Built, Files};

/// An editor's save is a burst of events within a few milliseconds; wait
/// this long after the last one before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Keeps watching until dropped.
pub(super) type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Build everything into memory and report on stderr.
pub(super) fn build_once(site: &mut qi_site::Incremental) -> Built {
    let sink = qi_site::MemorySink::default();
    match site.build(&sink) {
        Ok(summary) => {
            eprintln!("Built {summary}");
            Built::Ok(into_files(sink))
        }
        Err(problems) => failed(problems, Files::new()),
    }
}

/// A sink's files. The sink is ours alone, so a poisoned lock only means a
/// render thread panicked, and the build has already reported that.
fn into_files(sink: qi_site::MemorySink) -> Files {
    sink.0.into_inner().unwrap_or_else(PoisonError::into_inner)
}

fn failed(problems: qi_site::Problems, last_good: Files) -> Built {
    let text = problems.to_string();
    eprintln!("{text}\nThe build failed with {} problem(s); the browser shows them until they are fixed.", problems.len());
    Built::Failed { problems: text, last_good }
}

/// Rebuild after `changed` files changed: only what they touch when the
/// site is loaded and the change allows it, else everything.
fn rebuild(site: &mut qi_site::Incremental, changed: &[PathBuf], current: &Built) -> Built {
    let (last_good, previous_ok) = match current {
        Built::Ok(files) => (files.clone(), true),
        Built::Failed { last_good, .. } => (last_good.clone(), false),
    };
    let sink = qi_site::MemorySink::default();
    match site.rebuild(changed, &sink) {
        // Prints "rebuilt N pages (M files) in X ms" or why everything was rebuilt.
        Ok(done) => {
            eprintln!("{done}");
            let written = into_files(sink);
            match done {
                qi_site::Rebuild::Full { .. } => Built::Ok(written),
                // A partial rebuild only follows a good build (the first
                // change after a failed one rebuilds everything).
                qi_site::Rebuild::Partial { .. } => {
                    debug_assert!(previous_ok);
                    let mut files = last_good;
                    files.extend(written);
                    Built::Ok(files)
                }
            }
        }
        Err(problems) => failed(problems, last_good),
    }
}

/// Watch the site's sources; rebuild (debounced) and publish each build.
pub(super) fn watch(root: &Path, mut site: qi_site::Incremental, publish: latest::Sender<Arc<Built>>) -> anyhow::Result<Watcher> {
    let watched = watched_dirs(root);
    let config_file = root.join("site.toml");
    let relevant = {
        let watched = watched.clone();
        move |path: &Path| watched.iter().any(|d| path.starts_with(d)) || path == config_file
    };

    // notify-debouncer-full rather than our own timer loop: it coalesces a
    // burst per file and pairs up the renames editors save with. Its handler
    // runs on the debouncer's own thread; events that arrive during a
    // rebuild wait for the next tick.
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let mut changed: Vec<PathBuf> = events
            .into_iter()
            .filter(|e| !matches!(e.kind, EventKind::Access(_)))
            .flat_map(|e| e.event.paths)
            .filter(|p| relevant(p))
            .collect();
        if changed.is_empty() {
            return;
        }
        changed.sort();
        changed.dedup();
        let current = publish.borrow().clone();
        let built = rebuild(&mut site, &changed, &current);
        // Wakes every open page's reload stream.
        publish.send_replace(Arc::new(built));
    })?;
    for dir in &watched {
        debouncer.watch(dir, RecursiveMode::Recursive).with_context(|| format!("watching {}", dir.display()))?;
    }
    // site.toml: watch the root itself (editors replace files by renaming).
    debouncer.watch(root, RecursiveMode::NonRecursive).with_context(|| format!("watching {}", root.display()))?;
    Ok(debouncer)
}

/// The source folders: content, templates, static files and the functions'
/// data, plus templates and static files that site.toml puts elsewhere.
fn watched_dirs(root: &Path) -> Vec<PathBuf> {
    let mut watched: Vec<PathBuf> = ["content", "site", "functions/data"].iter().map(|d| root.join(d)).collect();
    if let Ok(config) = qi_site::config::Config::load(root, None) {
        for dir in [config.templates_dir, config.static_dir] {
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            if !watched.iter().any(|w| dir.starts_with(w)) {
                watched.push(dir);
            }
        }
    }
    watched.retain(|p| p.is_dir());
    watched
}
