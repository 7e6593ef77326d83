//! `qi serve`: build the site into memory and serve it, rebuilding when
//! anything under `content/`, `site/` or `functions/data/` (or `site.toml`)
//! changes and reloading open pages. A failed build shows its problems in
//! the browser until it is fixed; the server keeps running. `/api/*` goes to
//! the local API.
//!
//! One job per module: [`watch`] rebuilds on change, [`files`] answers with
//! the built files, [`reload`] tells open pages to reload, [`api`] bridges
//! `/api/*` to the functions' handlers.
mod api;
mod files;
mod reload;
mod watch;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use tokio::sync::watch as latest;

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

/// Built files by output path (`groups/index.html`).
type Files = HashMap<String, Arc<Vec<u8>>>;

/// The latest build: its files, or its problems (with the last good files,
/// still used for CSS and images while the error page is up).
enum Built {
    Ok(Files),
    Failed { problems: String, last_good: Files },
}

struct Shared {
    /// The latest build. A `watch` channel both holds it and wakes the
    /// live-reload streams, so a reloading page never sees the build before.
    built: latest::Receiver<Arc<Built>>,
    /// Turns true on Ctrl-C.
    stopping: latest::Receiver<bool>,
    api: api::ApiFn,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let root = std::fs::canonicalize(&args.root).with_context(|| format!("site root {}", args.root.display()))?;
    let addr = SocketAddr::new(args.bind, args.port);
    let base_url = base_url(args.bind, args.port);
    let opts = qi_site::Options { root: root.clone(), base_url: Some(base_url.clone()), drafts: args.drafts, check: false, progress: true };

    // The site stays loaded between builds, so an edit re-renders only
    // the pages it touches (qi_site::Incremental).
    let (first, site) = tokio::task::spawn_blocking(move || {
        let mut site = qi_site::Incremental::new(opts);
        (watch::build_once(&mut site), site)
    })
    .await?;
    let (publish, built) = latest::channel(Arc::new(first));
    let api = api::local_api(&args.data_dir, &base_url).await.context("starting the local API")?;
    let (stop, stopping) = latest::channel(false);
    let shared = Arc::new(Shared { built, stopping, api });

    let _watcher = watch::watch(&root, site, publish)?;

    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let app = axum::Router::new().fallback(handle).with_state(shared);
    eprintln!("Serving the site on {base_url}/ (Ctrl-C to stop)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            // End the open pages' reload streams, or the server would wait
            // for every tab to close.
            stop.send_replace(true);
        })
        .await?;
    Ok(())
}

/// The address shown and used in personal links: a wildcard bind is
/// reachable on loopback, and an IPv6 host needs brackets in a URL.
fn base_url(bind: IpAddr, port: u16) -> String {
    let host = if bind.is_unspecified() { "127.0.0.1".to_string() } else { bind.to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    format!("http://{host}:{port}")
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path();
    if path == reload::PATH {
        return reload::stream(shared.built.clone(), shared.stopping.clone()).into_response();
    }
    if path == "/api" || path.starts_with("/api/") {
        return api::forward(&shared.api, req).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return files::plain(StatusCode::METHOD_NOT_ALLOWED, "Only GET and HEAD are served here (forms post to /api/).");
    }
    let built = shared.built.borrow().clone();
    files::serve(&built, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_shows_a_reachable_host() {
        assert_eq!(base_url("127.0.0.1".parse().unwrap(), 8080), "http://127.0.0.1:8080");
        assert_eq!(base_url("0.0.0.0".parse().unwrap(), 80), "http://127.0.0.1:80");
        assert_eq!(base_url("::1".parse().unwrap(), 8080), "http://[::1]:8080");
    }
}
