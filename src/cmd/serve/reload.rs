//! Live reload: every served page carries a small script that listens on
//! [`PATH`] with server-sent events and reloads on a `reload` message, which
//! is sent after each rebuild.
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt as _};
use tokio::sync::watch as latest;

use super::Built;

/// Where live reload listens (only in `qi serve`).
pub(super) const PATH: &str = "/__qi/reload";
/// Added to every page the server answers with.
pub(super) const SCRIPT: &str = "<script>(function(){if(!window.EventSource)return;var s=new EventSource(\"/__qi/reload\");s.onmessage=function(e){if(e.data===\"reload\")location.reload();};})();</script>";

/// The event stream: a `retry` hint first (reconnect after 1 s while the
/// server restarts), then one `reload` message per published build.
/// axum's `Sse` frames the events and sets the event-stream headers; its
/// keep-alive comments let a closed tab's stream end on the next write.
/// The stream ends when `stopping` turns true.
pub(super) fn stream(
    mut built: latest::Receiver<Arc<Built>>,
    mut stopping: latest::Receiver<bool>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Only builds after this page connected count.
    built.mark_unchanged();
    let hello = futures_util::stream::once(async { Ok(Event::default().retry(Duration::from_millis(1000))) });
    let reloads = futures_util::stream::unfold(built, |mut built| async move {
        // Several builds while a page is away coalesce into one reload; the
        // stream ends when the builds do.
        built.changed().await.ok()?;
        Some((Ok(Event::default().data("reload")), built))
    });
    let stopped = async move {
        let _ = stopping.wait_for(|&stop| stop).await;
    };
    Sse::new(hello.chain(reloads).take_until(stopped)).keep_alive(KeepAlive::default())
}

/// `page` with the live-reload script added just before `</body>`.
pub(super) fn inject(page: &str) -> String {
    match page.rfind("</body>") {
        Some(i) => format!("{}{SCRIPT}\n{}", &page[..i], &page[i..]),
        None => format!("{page}{SCRIPT}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_script_goes_before_the_end_of_body() {
        let page = inject("<html><body><p>x</p></body></html>");
        assert!(page.contains("<p>x</p><script>"));
        assert!(page.ends_with("</body></html>"));
    }

    #[tokio::test]
    async fn one_reload_per_build_after_connecting() {
        let (publish, built) = latest::channel(Arc::new(Built::Ok(Default::default())));
        // A build before the page connected does not reload it.
        publish.send_replace(Arc::new(Built::Ok(Default::default())));
        let (_stop, stopping) = latest::channel(false);
        let body = axum::response::IntoResponse::into_response(stream(built, stopping)).into_body();
        let mut frames = body.into_data_stream();
        let first = frames.next().await.unwrap().unwrap();
        assert_eq!(&first[..], b"retry: 1000\n\n");
        publish.send_replace(Arc::new(Built::Ok(Default::default())));
        let second = frames.next().await.unwrap().unwrap();
        assert_eq!(&second[..], b"data: reload\n\n");
        drop(publish);
        assert!(frames.next().await.is_none());
    }

    #[tokio::test]
    async fn the_stream_ends_when_the_server_stops() {
        let (_publish, built) = latest::channel(Arc::new(Built::Ok(Default::default())));
        let (stop, stopping) = latest::channel(false);
        let mut frames = axum::response::IntoResponse::into_response(stream(built, stopping)).into_body().into_data_stream();
        assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"retry: 1000\n\n");
        stop.send_replace(true);
        assert!(frames.next().await.is_none());
    }
}
