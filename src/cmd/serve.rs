//! `qi serve`: build the site into memory and serve it, rebuilding when
//! anything under `content/`, `site/` or `functions/data/` (or `site.toml`)
//! changes and reloading open pages. A failed build shows its problems in
//! the browser until it is fixed; the server keeps running. `/api/*` goes to
//! the local API (`serve_api::local_api`).
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::broadcast;

use super::serve_api::{self, ApiFn};

#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Where the local API keeps its data (embedded store, outbox).
    #[arg(long, default_value = ".qi")]
    pub data_dir: PathBuf,
    /// The site root (holds site.toml, content/ and site/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
}

/// Where live reload listens (only in `qi serve`).
const RELOAD_PATH: &str = "/__qi/reload";
const RELOAD_SCRIPT: &str = "<script>(function(){if(!window.EventSource)return;var s=new EventSource(\"/__qi/reload\");s.onmessage=function(e){if(e.data===\"reload\")location.reload();};})();</script>";
/// Largest request body passed to the API.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// The latest build: its files, or its problems (with the last good files,
/// still used for CSS and images while the error page is up).
enum Built {
    Ok(HashMap<String, Arc<Vec<u8>>>),
    Failed { problems: String, last_good: HashMap<String, Arc<Vec<u8>>> },
}

struct Shared {
    built: RwLock<Arc<Built>>,
    reload: broadcast::Sender<()>,
    api: ApiFn,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let root = std::fs::canonicalize(&args.root).with_context(|| format!("site root {}", args.root.display()))?;
    let addr = SocketAddr::new(args.bind, args.port);
    let shown_host = if args.bind.is_unspecified() { "127.0.0.1".to_string() } else { args.bind.to_string() };
    let shown_host = if shown_host.contains(':') { format!("[{shown_host}]") } else { shown_host };
    let base_url = format!("http://{shown_host}:{}", args.port);
    let opts = qi_site::Options { root: root.clone(), base_url: Some(base_url.clone()), drafts: args.drafts, check: false, progress: true };

    // The site stays loaded between builds, so an edit re-renders only
    // the pages it touches (qi_site::Incremental).
    let (first, site) = tokio::task::spawn_blocking(move || {
        let mut site = qi_site::Incremental::new(opts);
        (build_once(&mut site, HashMap::new()), site)
    })
    .await?;
    let (reload, _) = broadcast::channel(16);
    let api = serve_api::local_api(&args.data_dir, &base_url).await.context("starting the local API")?;
    let shared = Arc::new(Shared { built: RwLock::new(Arc::new(first)), reload, api });

    let _watcher = watch(&root, site, shared.clone())?;

    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let app = axum::Router::new().fallback(handle).with_state(shared);
    eprintln!("Serving the site on {base_url}/ (Ctrl-C to stop)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Build into memory and report on stderr.
fn build_once(site: &mut qi_site::Incremental, last_good: HashMap<String, Arc<Vec<u8>>>) -> Built {
    let sink = qi_site::MemorySink::default();
    match site.build(&sink) {
        Ok(summary) => {
            eprintln!("Built {summary}");
            Built::Ok(sink.0.into_inner().unwrap())
        }
        Err(problems) => failed(problems, last_good),
    }
}

fn failed(problems: qi_site::Problems, last_good: HashMap<String, Arc<Vec<u8>>>) -> Built {
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
        Ok(done) => {
            eprintln!("{done}");
            let written = sink.0.into_inner().unwrap();
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

/// Watch the site's sources; rebuild (debounced) and tell open pages to reload.
fn watch(root: &Path, mut site: qi_site::Incremental, shared: Arc<Shared>) -> anyhow::Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    let mut watched: Vec<PathBuf> = ["content", "site", "functions/data"].iter().map(|d| root.join(d)).collect();
    // Templates and static files may live elsewhere (site.toml can say so).
    if let Ok(config) = qi_site::config::Config::load(root, None) {
        for dir in [config.templates_dir, config.static_dir] {
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            if !watched.iter().any(|w| dir.starts_with(w)) {
                watched.push(dir);
            }
        }
    }
    watched.retain(|p| p.is_dir());
    for dir in &watched {
        watcher.watch(dir, RecursiveMode::Recursive).with_context(|| format!("watching {}", dir.display()))?;
    }
    // site.toml: watch the root itself (editors replace files by renaming).
    watcher.watch(root, RecursiveMode::NonRecursive)?;
    let config_file = root.join("site.toml");
    let relevant = move |path: &Path| watched.iter().any(|d| path.starts_with(d)) || path == config_file;

    std::thread::spawn(move || {
        while let Ok(event) = rx.recv() {
            let Ok(event) = event else { continue };
            let wanted = |e: &notify::Event| !matches!(e.kind, notify::EventKind::Access(_));
            if !event.paths.iter().any(|p| relevant(p)) || !wanted(&event) {
                continue;
            }
            let mut changed: Vec<PathBuf> = event.paths.into_iter().filter(|p| relevant(p)).collect();
            // Debounce: wait until nothing changed for a moment (an editor's
            // save is a burst of events within a few milliseconds).
            while let Ok(more) = rx.recv_timeout(Duration::from_millis(50)) {
                if let Ok(e) = more {
                    if wanted(&e) {
                        changed.extend(e.paths.into_iter().filter(|p| relevant(p)));
                    }
                }
            }
            changed.sort();
            changed.dedup();
            let current = shared.built.read().unwrap().clone();
            let built = rebuild(&mut site, &changed, &current);
            *shared.built.write().unwrap() = Arc::new(built);
            let _ = shared.reload.send(());
        }
    });
    Ok(watcher)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path == RELOAD_PATH {
        return reload_stream(&shared);
    }
    if path == "/api" || path.starts_with("/api/") {
        return api(&shared, req).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "Only GET and HEAD are served here (forms post to /api/).");
    }
    let built = shared.built.read().unwrap().clone();
    serve_file(&built, &path)
}

fn serve_file(built: &Built, path: &str) -> Response {
    let (files, failed) = match built {
        Built::Ok(files) => (files, None),
        Built::Failed { problems, last_good } => (last_good, Some(problems)),
    };
    let lookup = match resolve(path, |k| files.contains_key(k)) {
        Lookup::Redirect(to) => {
            return Response::builder()
                .status(StatusCode::MOVED_PERMANENTLY)
                .header(header::LOCATION, to)
                .header(header::CACHE_CONTROL, "no-cache")
                .body(Body::empty())
                .unwrap()
        }
        other => other,
    };
    let (status, key) = match lookup {
        Lookup::Found(k) => (StatusCode::OK, k),
        _ => (StatusCode::NOT_FOUND, "404.html".to_string()),
    };
    let content_type = content_type(&key);
    if let Some(problems) = failed {
        if content_type.starts_with("text/html") {
            return html(StatusCode::INTERNAL_SERVER_ERROR, error_page(problems));
        }
    }
    match files.get(&key) {
        Some(bytes) if content_type.starts_with("text/html") => html(status, inject_reload(&String::from_utf8_lossy(bytes))),
        Some(bytes) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from(Bytes::from(bytes.as_ref().clone())))
            .unwrap(),
        None => plain(StatusCode::NOT_FOUND, "Not found."),
    }
}

#[derive(Debug, PartialEq)]
enum Lookup {
    Found(String),
    Redirect(String),
    Missing,
}

/// Map a URL path to a built file: pretty URLs (`/a/` → `a/index.html`),
/// and `/a` → a redirect to `/a/` when that is a page.
fn resolve(path: &str, exists: impl Fn(&str) -> bool) -> Lookup {
    let decoded = percent_decode(path);
    let Some(decoded) = decoded else { return Lookup::Missing };
    if decoded.split('/').any(|s| s == ".." || s == ".") || decoded.contains('\\') {
        return Lookup::Missing;
    }
    let key = decoded.trim_start_matches('/');
    let candidate = if key.is_empty() || key.ends_with('/') { format!("{key}index.html") } else { key.to_string() };
    if exists(&candidate) {
        return Lookup::Found(candidate);
    }
    if !key.is_empty() && !key.ends_with('/') && exists(&format!("{key}/index.html")) {
        return Lookup::Redirect(format!("{path}/"));
    }
    Lookup::Missing
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" if key.ends_with("atom.xml") => "application/atom+xml",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Add the live-reload script just before `</body>`.
fn inject_reload(page: &str) -> String {
    match page.rfind("</body>") {
        Some(i) => format!("{}{RELOAD_SCRIPT}\n{}", &page[..i], &page[i..]),
        None => format!("{page}{RELOAD_SCRIPT}"),
    }
}

fn error_page(problems: &str) -> String {
    let escaped = problems.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Build failed – qi serve</title>\n<style>body{{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#0b0c0c}}main{{max-width:60rem;margin:0 auto;padding:1.5rem}}h1{{border-left:8px solid #c0281b;padding-left:.75rem}}pre{{white-space:pre-wrap;overflow-wrap:anywhere;background:#fcefed;padding:1rem;border-left:5px solid #c0281b}}</style></head>\n<body><main>\n<h1>The site did not build</h1>\n<p>Fix the problems below and save: this page reloads by itself. Each line gives the file, line and column.</p>\n<pre>{escaped}</pre>\n</main>\n{RELOAD_SCRIPT}\n</body>\n</html>\n"
    )
}

fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from(body))
        .unwrap()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from(text))
        .unwrap()
}

/// Server-sent events: one `reload` message after each rebuild.
fn reload_stream(shared: &Shared) -> Response {
    let rx = shared.reload.subscribe();
    let hello = futures_util::stream::once(async { Ok::<Bytes, Infallible>(Bytes::from_static(b"retry: 1000\n\n")) });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => {
                Some((Ok::<Bytes, Infallible>(Bytes::from_static(b"data: reload\n\n")), rx))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(hello.chain(events)))
        .unwrap()
}

/// Hand the request to the local API, as an `http::Request<Bytes>`.
async fn api(shared: &Shared, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Response::builder()
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"error":"payload_too_large","message":"The request is too large."}"#))
                .unwrap()
        }
    };
    let response = (shared.api)(http::Request::from_parts(parts, bytes)).await;
    let (mut parts, body) = response.into_parts();
    parts.headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_urls() {
        let files = ["index.html", "groups/index.html", "groups/forming/index.html", "css/site.1234abcd.css", "404.html"];
        let exists = |k: &str| files.contains(&k);
        assert_eq!(resolve("/", exists), Lookup::Found("index.html".into()));
        assert_eq!(resolve("/groups/forming/", exists), Lookup::Found("groups/forming/index.html".into()));
        assert_eq!(resolve("/groups/forming", exists), Lookup::Redirect("/groups/forming/".into()));
        assert_eq!(resolve("/css/site.1234abcd.css", exists), Lookup::Found("css/site.1234abcd.css".into()));
        assert_eq!(resolve("/nope/", exists), Lookup::Missing);
        assert_eq!(resolve("/../etc/passwd", exists), Lookup::Missing);
        assert_eq!(resolve("/%2e%2e/x", exists), Lookup::Missing);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("css/site.12.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("news/atom.xml"), "application/atom+xml");
        assert_eq!(content_type("search/index.json"), "application/json");
    }

    #[test]
    fn reload_script_goes_before_the_end_of_body() {
        let page = inject_reload("<html><body><p>x</p></body></html>");
        assert!(page.contains("<p>x</p><script>"));
        assert!(page.ends_with("</body></html>"));
    }

    #[test]
    fn failed_builds_show_the_problems_on_every_page() {
        let mut last_good = HashMap::new();
        last_good.insert("index.html".to_string(), Arc::new(b"<html><body>old</body></html>".to_vec()));
        last_good.insert("css/site.css".to_string(), Arc::new(b"body{}".to_vec()));
        let built = Built::Failed { problems: "content/a.md:3:1: <bad>".into(), last_good };
        let page = serve_file(&built, "/");
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let missing = serve_file(&built, "/nowhere/");
        assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let css = serve_file(&built, "/css/site.css");
        assert_eq!(css.status(), StatusCode::OK);
        assert!(error_page("content/a.md:3:1: <bad>").contains("content/a.md:3:1: &lt;bad&gt;"));
    }
}
