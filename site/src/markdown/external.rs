//! Whether an external link is well formed (`qi check` reports the ones
//! that are not).

pub(super) fn has_scheme(dest: &str) -> Option<&str> {
    let colon = dest.find(':')?;
    let scheme = &dest[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))).then_some(scheme)
}

/// Why an external link is malformed, if it is. Links without a scheme are
/// not external and not checked here.
pub fn external_link_problem(dest: &str) -> Option<String> {
    if dest.starts_with("//") {
        return Some(format!("link `{dest}` has no scheme: write https:// in full"));
    }
    let scheme = has_scheme(dest)?;
    let lower = scheme.to_ascii_lowercase();
    match lower.as_str() {
        "http" | "https" => {
            if !dest[scheme.len()..].starts_with("://") {
                return Some(format!("link `{dest}` is malformed: expected `{lower}://` followed by a host"));
            }
            match url::Url::parse(dest) {
                Err(e) => Some(format!("link `{dest}` is malformed: {e}")),
                Ok(u) => {
                    let host = u.host_str().unwrap_or("");
                    if host.is_empty()
                        || (!host.contains('.') && host != "localhost" && u.host().is_some_and(|h| matches!(h, url::Host::Domain(_))))
                    {
                        Some(format!("link `{dest}` is malformed: `{host}` is not a full host name"))
                    } else {
                        None
                    }
                }
            }
        }
        "mailto" => {
            let addr = dest[7..].split('?').next().unwrap_or("");
            let ok = addr.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.contains(' ') && !u.contains(' '));
            (!ok).then(|| format!("link `{dest}` is malformed: expected mailto:name@example.org"))
        }
        "tel" => {
            let num = &dest[4..];
            let ok = !num.is_empty() && num.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.'));
            (!ok).then(|| format!("link `{dest}` is malformed: a tel: link holds only digits, +, -, ( ) and ."))
        }
        _ => Some(format!("link `{dest}` has an unknown scheme `{scheme}:` (expected https://, http://, mailto: or tel:)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_links() {
        assert_eq!(external_link_problem("https://cpso.on.ca/x"), None);
        assert_eq!(external_link_problem("mailto:qi@cpso.on.ca"), None);
        assert_eq!(external_link_problem("tel:+1-416-967-2600"), None);
        assert_eq!(external_link_problem("relative/path"), None);
        assert!(external_link_problem("https//cpso.on.ca").is_none()); // no scheme: a relative path
        assert!(external_link_problem("http:/cpso.on.ca").unwrap().contains("expected `http://`"));
        assert!(external_link_problem("https://cpso on.ca").unwrap().contains("malformed"));
        assert!(external_link_problem("https://cpso").unwrap().contains("not a full host name"));
        assert!(external_link_problem("htps://cpso.on.ca").unwrap().contains("unknown scheme"));
        assert!(external_link_problem("mailto:nobody").is_some());
        assert!(external_link_problem("//cdn.example.org/x").is_some());
    }
}
