//! Dates as people read them in each of the site's languages, shared by the
//! generator (published dates) and the functions (every date on their pages
//! and in emails). Written by hand: two languages' month names and one French
//! rule ("1er") are smaller than a locale library and its data.

const EN: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const FR: [&str; 12] =
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];

/// The name of a month (`month0`: 0 for January) in `lang` (`en` or `fr`;
/// any other code reads as English).
pub fn month_name(month0: u32, lang: &str) -> &'static str {
    let m = (month0 as usize).min(11);
    if lang == "fr" {
        FR[m]
    } else {
        EN[m]
    }
}

/// "1 December 2026" / "1er décembre 2026" (`month`: 1 for January).
pub fn long_date(year: i32, month: u32, day: u32, lang: &str) -> String {
    let name = month_name(month.saturating_sub(1), lang);
    match (lang, day) {
        ("fr", 1) => format!("1er {name} {year}"),
        _ => format!("{day} {name} {year}"),
    }
}

/// `2026-12-01` (or an RFC 3339 date-time starting with one) as [`long_date`].
pub fn long_date_of_iso(iso: &str, lang: &str) -> Option<String> {
    let mut parts = iso.get(..10)?.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| long_date(y, m, d, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        assert_eq!(long_date(2026, 12, 1, "en"), "1 December 2026");
        assert_eq!(long_date(2026, 12, 1, "fr"), "1er décembre 2026");
        assert_eq!(long_date(2027, 3, 15, "fr"), "15 mars 2027");
        assert_eq!(long_date_of_iso("2026-08-02T10:00:00Z", "fr").as_deref(), Some("2 août 2026"));
        assert_eq!(long_date_of_iso("2026-13-02", "en"), None);
        assert_eq!(long_date_of_iso("nope", "en"), None);
    }
}
