//! The language of the request being handled: what every page, error and
//! redirect of the answer is written in.
//!
//! In order: the `lang` a form posts or a link carries (`?lang=fr`, which the
//! French pages send), else the signed-in member's recorded preference, else
//! the browser's `Accept-Language`, else English. It is set once per request
//! around the handler (`scope`) and read wherever text is written
//! (`current`), as a request-scoped locale, so that the use cases and the
//! pages need not pass it through every call.
use std::cell::Cell;
use std::future::Future;

use bytes::Bytes;

use super::input;
use crate::domain::Language;

/// Where the request's language came from: an explicit choice wins over the
/// member's preference, which wins over the browser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Default,
    Browser,
    Member,
    Chosen,
}

/// The request's language, where it came from, and the language the same
/// reader gets when a request does not choose (their preference, else their
/// browser's): a redirect carries `?lang=` only when the two differ.
#[derive(Debug, Clone, Copy)]
struct State {
    lang: Language,
    source: Source,
    fallback: Language,
}

tokio::task_local! {
    static CURRENT: Cell<State>;
    /// The address the request was for (path and query, without `lang`),
    /// for the pages' link to the same page in the other language.
    static ADDRESS: String;
}

/// The address of the request being handled in `lang` (`/api/me?lang=fr`),
/// for a GET: what the header's language link of a server page opens.
pub fn address_in(lang: Language) -> Option<String> {
    ADDRESS
        .try_with(|a| {
            let sep = if a.contains('?') { '&' } else { '?' };
            (!a.is_empty()).then(|| format!("{a}{sep}lang={}", lang.as_str()))
        })
        .ok()
        .flatten()
}

/// `/api/me?x=1&lang=fr` → `/api/me?x=1`.
fn without_lang(uri: &http::Uri) -> String {
    let kept: Vec<(String, String)> = input::query_pairs(uri.query().unwrap_or("")).into_iter().filter(|(k, _)| k != "lang").collect();
    if kept.is_empty() {
        uri.path().to_string()
    } else {
        let q: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
        format!("{}?{q}", uri.path())
    }
}

/// The language of the request being handled (English outside one).
pub fn current() -> Language {
    CURRENT.try_with(|c| c.get().lang).unwrap_or(Language::En)
}

/// `en` or `fr`, whichever the reader of the request reads.
pub fn tr<'a>(en: &'a str, fr: &'a str) -> &'a str {
    match current() {
        Language::En => en,
        Language::Fr => fr,
    }
}

/// Whether the request chose a language (a form's field or `?lang=`) other
/// than the one the reader gets without choosing.
pub fn chosen() -> bool {
    CURRENT.try_with(|c| c.get()).map(|s| s.source == Source::Chosen && s.lang != s.fallback).unwrap_or(false)
}

/// The signed-in member's preference, unless the request chose a language.
pub fn prefer_member(lang: Language) {
    let _ = CURRENT.try_with(|c| {
        let mut s = c.get();
        s.fallback = lang;
        if s.source < Source::Member {
            s.lang = lang;
            s.source = Source::Member;
        }
        c.set(s);
    });
}

/// Run `f` with the language `req` asks for (before any member is known).
pub async fn scope<F: Future>(req: &http::Request<Bytes>, f: F) -> F::Output {
    let (lang, source) = negotiate(req);
    let fallback = from_accept_language(input::header(req, "accept-language")).unwrap_or(Language::En);
    let address = if req.method() == http::Method::GET { without_lang(req.uri()) } else { String::new() };
    CURRENT.scope(Cell::new(State { lang, source, fallback }), ADDRESS.scope(address, f)).await
}

/// Run `f` in `lang` (a test, or a job writing to a member in theirs).
pub async fn scope_in<F: Future>(lang: Language, f: F) -> F::Output {
    CURRENT.scope(Cell::new(State { lang, source: Source::Chosen, fallback: lang }), f).await
}

/// The `lang` a form posted or the link carries, else `Accept-Language`.
pub fn negotiate(req: &http::Request<Bytes>) -> (Language, Source) {
    // Only a language actually given counts (`Language::parse` reads an empty value as English).
    let given = |l: &str| if l.trim().is_empty() { None } else { Language::parse(l).ok() };
    let from_link = input::query(req).get("lang").and_then(|l| given(l));
    let from_form = || input::read_fields(req).ok().and_then(|f| given(f.get("lang")));
    if let Some(l) = from_link.or_else(from_form) {
        return (l, Source::Chosen);
    }
    match from_accept_language(input::header(req, "accept-language")) {
        Some(l) => (l, Source::Browser),
        None => (Language::En, Source::Default),
    }
}

/// The site's language the browser ranks highest (`fr-CA,fr;q=0.9,en;q=0.8`).
/// By hand: two languages and q-values are a dozen lines, where a crate
/// would bring a full BCP 47 matcher.
pub fn from_accept_language(header: &str) -> Option<Language> {
    let mut best: Option<(f32, Language)> = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits.find_map(|b| b.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if primary.is_empty() {
            continue;
        }
        let Ok(lang) = Language::parse(primary) else { continue };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// A site path in `lang`: the French version of a page the server links to
/// (`/groups/sign-up/check-your-email/` → its French address), from the
/// table the French templates use (functions/templates/nav.toml). Paths
/// with no French version are returned as they are.
pub fn localized_path(path: &str, lang: Language) -> String {
    match lang {
        Language::En => path.to_string(),
        Language::Fr => super::html::french_path(path).unwrap_or_else(|| path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str, headers: &[(&str, &str)], body: &str) -> http::Request<Bytes> {
        let mut b = http::Request::builder().uri(uri).method(if body.is_empty() { "GET" } else { "POST" });
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Bytes::from(body.to_string())).unwrap()
    }

    #[test]
    fn the_posted_or_linked_language_wins_then_the_browsers() {
        let form = [("content-type", "application/x-www-form-urlencoded"), ("accept-language", "en-CA")];
        assert_eq!(negotiate(&req("/api/groups", &form, "lang=fr&x=1")), (Language::Fr, Source::Chosen));
        assert_eq!(negotiate(&req("/api/me?lang=fr", &[("accept-language", "en")], "")), (Language::Fr, Source::Chosen));
        assert_eq!(negotiate(&req("/api/me", &[("accept-language", "fr-CA,fr;q=0.9,en;q=0.8")], "")), (Language::Fr, Source::Browser));
        assert_eq!(negotiate(&req("/api/me", &[("accept-language", "de, en;q=0.5, fr;q=0.4")], "")), (Language::En, Source::Browser));
        assert_eq!(negotiate(&req("/api/me?lang=xx", &[], "")), (Language::En, Source::Default));
        assert_eq!(from_accept_language("fr;q=0, en;q=0.1"), Some(Language::En));
        assert_eq!(from_accept_language("*"), None);
    }

    #[tokio::test]
    async fn a_page_links_its_address_in_the_other_language() {
        scope(&req("/api/me/goals/g1?edit_period=2026-11&lang=fr", &[], ""), async {
            assert_eq!(address_in(Language::En).as_deref(), Some("/api/me/goals/g1?edit_period=2026-11&lang=en"));
        })
        .await;
        scope(&req("/api/me", &[], ""), async { assert_eq!(address_in(Language::Fr).as_deref(), Some("/api/me?lang=fr")) }).await;
        let post = req("/api/groups", &[("content-type", "application/x-www-form-urlencoded")], "lang=fr");
        scope(&post, async { assert_eq!(address_in(Language::En), None, "an answer to a POST has no address of its own") }).await;
        assert_eq!(address_in(Language::En), None);
    }

    #[tokio::test]
    async fn a_members_preference_applies_unless_the_request_chose() {
        let browser = req("/api/me", &[("accept-language", "en")], "");
        scope(&browser, async {
            assert_eq!(current(), Language::En);
            prefer_member(Language::Fr);
            assert_eq!(current(), Language::Fr);
        })
        .await;
        scope(&req("/api/me?lang=en", &[], ""), async {
            prefer_member(Language::Fr);
            assert_eq!(current(), Language::En);
            assert!(chosen(), "English chosen over a French preference: redirects say so");
        })
        .await;
        scope(&req("/api/me?lang=fr", &[], ""), async {
            prefer_member(Language::Fr);
            assert!(!chosen(), "the member's own language: nothing to carry");
        })
        .await;
        assert_eq!(current(), Language::En);
    }
}
