//! Small value types that can only be constructed valid ("parse, don't validate").
//!
//! Each `parse` trims its input and returns [`Invalid`] with a sentence a person
//! can act on. Serde deserialisation goes through the same `parse`, so a value
//! read back from a store is checked again.

use qi_facts::limits;
use serde::{Deserialize, Serialize};

use super::random::{Random, RandomUnavailable};

/// Why a value was rejected: a sentence for the person who typed it, in
/// English and French, and a stable `code` for programs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct Invalid {
    pub code: &'static str,
    pub en: String,
    pub fr: String,
}

impl Invalid {
    pub fn tr(code: &'static str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        Invalid { code, en: en.into(), fr: fr.into() }
    }
}

fn no_control_chars(s: &str) -> bool {
    !s.chars().any(|c| c.is_control())
}

/// The accessors and conversions every validated string type shares;
/// the type itself provides `parse`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = $crate::domain::values::Invalid;
            fn try_from(s: String) -> Result<Self, $crate::domain::values::Invalid> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::domain::values::Invalid;
            fn from_str(s: &str) -> Result<Self, $crate::domain::values::Invalid> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use string_newtype;

/// Opaque, URL-safe group id: 128 random bits, base64url (22 characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupId(String);
string_newtype!(GroupId);

impl GroupId {
    pub fn generate(random: &dyn Random) -> Result<Self, RandomUnavailable> {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let mut b = [0u8; 16];
        random.fill(&mut b)?;
        Ok(GroupId(URL_SAFE_NO_PAD.encode(b)))
    }
    /// 1–64 characters of `A-Z a-z 0-9 - _`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let ok = !input.is_empty() && input.len() <= 64 && input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(GroupId(input.to_string()))
        } else {
            Err(Invalid::tr("invalid_format", "not a group id", "ce n’est pas un identifiant de groupe"))
        }
    }
}

/// A CPSO registration number: 1–6 digits, no leading zero (spaces trimmed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpso(String);
string_newtype!(Cpso);

impl Cpso {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr("required", "Enter a CPSO number", "Saisissez un numéro d’inscription à l’OMCO"));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::tr(
                "invalid_format",
                "Enter a CPSO number using digits only, like 123456",
                "Saisissez un numéro d’inscription à l’OMCO composé uniquement de chiffres, par exemple 123456",
            ));
        }
        if s.len() > limits::CPSO_DIGITS {
            return Err(Invalid::tr(
                "too_long",
                format!("A CPSO number has at most {} digits", limits::CPSO_DIGITS),
                format!("Un numéro d’inscription à l’OMCO compte au plus {} chiffres", limits::CPSO_DIGITS),
            ));
        }
        if s.starts_with('0') {
            return Err(Invalid::tr(
                "invalid_format",
                "A CPSO number does not start with 0",
                "Un numéro d’inscription à l’OMCO ne commence pas par 0",
            ));
        }
        Ok(Cpso(s.to_string()))
    }
}

/// A person's name as they want it shown: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);
string_newtype!(PersonName);

impl PersonName {
    pub const MAX: usize = limits::PERSON_NAME;
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr("required", "Enter a name", "Saisissez un nom"));
        }
        if s.chars().count() > Self::MAX {
            return Err(Invalid::tr(
                "too_long",
                format!("A name has at most {} characters", Self::MAX),
                format!("Un nom ne peut pas dépasser {} caractères", Self::MAX),
            ));
        }
        if !no_control_chars(s) {
            return Err(Invalid::tr(
                "not_allowed_characters",
                "A name cannot contain line breaks or control characters",
                "Un nom ne peut pas contenir de sauts de ligne ni de caractères de contrôle",
            ));
        }
        Ok(PersonName(s.to_string()))
    }
}

/// An email address: one `@`, a non-empty local part, a domain with a dot,
/// no spaces, at most 254 characters. Stored as typed (domain lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Whether both name the same mailbox as far as we can tell (case aside:
    /// two members of one group may not share one).
    pub fn same_mailbox(&self, other: &Email) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
string_newtype!(Email);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let hint = || {
            Invalid::tr(
                "invalid_format",
                "Enter an email address like name@example.org",
                "Saisissez une adresse courriel sous la forme nom@example.org",
            )
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr("required", "Enter an email address", "Saisissez une adresse courriel"));
        }
        if s.len() > limits::EMAIL || !no_control_chars(s) || s.chars().any(char::is_whitespace) {
            return Err(hint());
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(hint());
        };
        // Amazon SES delivers only to an ASCII local part; a domain in another
        // script is converted to its ASCII (punycode) form.
        if !local.is_ascii() {
            return Err(Invalid::tr(
                "not_allowed_characters",
                "Enter the part before the @ in Latin letters, digits and . _ - + only: we cannot deliver to other characters",
                "Saisissez la partie avant le @ uniquement avec des lettres sans accents, des chiffres et . _ - +\u{a0}: \
                 nous ne pouvons pas livrer de courriel à une adresse qui contient d’autres caractères",
            ));
        }
        let domain = if domain.is_ascii() {
            domain.to_string()
        } else {
            match idna::domain_to_ascii(domain) {
                Ok(d) => d,
                Err(_) => return Err(hint()),
            }
        };
        let domain = domain.as_str();
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty() && local.len() <= limits::EMAIL_LOCAL && !local.contains(['<', '>', '"', ',', ';', '\\']);
        if !domain_ok || !local_ok {
            return Err(hint());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }
}

/// Preferred language for correspondence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

impl Language {
    /// An empty value means English (the form preselects it).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "" | "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            _ => Err(Invalid::tr("invalid_format", "Choose English (en) or French (fr)", "Choisissez l’anglais (en) ou le français (fr)")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
}

/// A group's name: 1–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);
string_newtype!(GroupName);

impl GroupName {
    pub const MAX: usize = limits::GROUP_NAME;
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr("required", "Enter a name for your group", "Saisissez un nom pour votre groupe"));
        }
        if s.chars().count() > Self::MAX {
            return Err(Invalid::tr(
                "too_long",
                format!("A group name has at most {} characters", Self::MAX),
                format!("Le nom d’un groupe ne peut pas dépasser {} caractères", Self::MAX),
            ));
        }
        if !no_control_chars(s) {
            return Err(Invalid::tr(
                "not_allowed_characters",
                "A group name cannot contain line breaks or control characters",
                "Le nom d’un groupe ne peut pas contenir de sauts de ligne ni de caractères de contrôle",
            ));
        }
        Ok(GroupName(s.to_string()))
    }
}

/// The group's practice setting, as the lead describes it (1–200 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PracticeSetting(String);
string_newtype!(PracticeSetting);

impl PracticeSetting {
    pub const MAX: usize = limits::PRACTICE_SETTING;
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::tr("required", "Describe your practice setting", "Décrivez votre milieu de pratique"));
        }
        if s.chars().count() > Self::MAX {
            return Err(Invalid::tr(
                "too_long",
                format!("A practice setting has at most {} characters", Self::MAX),
                format!("La description du milieu de pratique ne peut pas dépasser {} caractères", Self::MAX),
            ));
        }
        if !no_control_chars(s) {
            return Err(Invalid::tr(
                "not_allowed_characters",
                "A practice setting cannot contain line breaks or control characters",
                "La description du milieu de pratique ne peut pas contenir de sauts de ligne ni de caractères de contrôle",
            ));
        }
        Ok(PracticeSetting(s.to_string()))
    }
}

/// A program cycle, e.g. `2026`: 1–20 characters of letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cycle(String);
string_newtype!(Cycle);

impl Cycle {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() || s.len() > limits::CYCLE || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(Invalid::tr(
                "invalid_format",
                "A cycle is 1–20 letters, digits or dashes, like 2026",
                "Un cycle s’écrit avec 1 à 20 lettres, chiffres ou traits d’union, par exemple 2026",
            ));
        }
        Ok(Cycle(s.to_string()))
    }
}

/// Free text of a bounded length (PIP fields, coaching messages). Trimmed;
/// line breaks allowed, other control characters not. The text is named in
/// both languages: `what_en` as a sentence's subject ("The aim statement"),
/// `what_fr` as a field's label ("Énoncé d’objectif", which the French
/// message puts before a colon).
pub fn parse_text_tr(input: &str, max_chars: usize, what_en: &str, what_fr: &str) -> Result<String, Invalid> {
    let s = input.trim();
    if s.chars().count() > max_chars {
        return Err(Invalid::tr(
            "too_long",
            format!("{what_en} has at most {max_chars} characters"),
            format!("{what_fr}\u{a0}: {} caractères au maximum", number_fr(max_chars)),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::tr(
            "not_allowed_characters",
            format!("{what_en} cannot contain control characters"),
            format!("{what_fr}\u{a0}: les caractères de contrôle ne sont pas acceptés"),
        ));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// A whole number as French writes it: `4\u{a0}000` (a non-breaking space
/// between thousands).
pub(crate) fn number_fr(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Result<chrono::NaiveDate, Invalid> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Invalid::tr("required", "Enter a date", "Saisissez une date"));
    }
    let ok_shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if ok_shape => Ok(d),
        _ => Err(Invalid::tr(
            "invalid_format",
            "Enter a real date, with the day, month and year",
            "Saisissez une date valide, avec le jour, le mois et l’année",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpso_digits_only_trimmed() {
        assert_eq!(Cpso::parse(" 12345 ").unwrap().as_str(), "12345");
        assert_eq!(Cpso::parse("1").unwrap().as_str(), "1");
        assert_eq!(Cpso::parse("999999").unwrap().as_str(), "999999");
        assert!(Cpso::parse("").is_err());
        assert!(Cpso::parse("12a45").is_err());
        assert!(Cpso::parse("12 45").is_err());
        assert!(Cpso::parse("-1234").is_err());
        assert!(Cpso::parse("1234567").is_err());
        assert!(Cpso::parse("012345").is_err());
        assert!(Cpso::parse("１２３").is_err(), "full-width digits are not ASCII digits");
    }

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("  Dr. Ada Lovelace ").unwrap().as_str(), "Dr. Ada Lovelace");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("a\nb").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse(&"é".repeat(100)).is_ok());
        assert!(GroupName::parse("").is_err());
        assert!(PracticeSetting::parse("Family health team, urban").is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" a.b+c@Example.ORG ").unwrap().as_str(), "a.b+c@example.org");
        // IDN domains become punycode (what SES delivers to); non-ASCII local parts are refused.
        assert_eq!(Email::parse("marie@médecins.example").unwrap().as_str(), "marie@xn--mdecins-bya.example");
        let e = Email::parse("hélène@example.org").unwrap_err();
        assert!(e.en.contains("Latin letters"));
        assert_eq!(e.code, "not_allowed_characters");
        assert!(e.fr.starts_with("Saisissez la partie avant le @ uniquement avec des lettres sans accents"), "{}", e.fr);
        assert_eq!(Email::parse("plain").unwrap_err().fr, "Saisissez une adresse courriel sous la forme nom@example.org");
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.org",
            "a@.org",
            "a@example.",
            "a b@example.org",
            "a@@example.org",
            "a@exa mple.org",
            "<a>@example.org",
            "a@example..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn languages() {
        assert_eq!(Language::parse("fr").unwrap(), Language::Fr);
        assert_eq!(Language::parse("EN").unwrap(), Language::En);
        assert_eq!(Language::parse("").unwrap(), Language::En);
        assert!(Language::parse("de").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-02-28").unwrap().to_string(), "2026-02-28");
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("2026-2-3").is_err());
        assert!(parse_date("31/12/2026").is_err());
        assert!(parse_date("").is_err());
    }

    #[test]
    fn messages_in_both_languages() {
        let e = Cpso::parse("").unwrap_err();
        assert_eq!(
            (e.code, e.en.as_str(), e.fr.as_str()),
            ("required", "Enter a CPSO number", "Saisissez un numéro d’inscription à l’OMCO")
        );
        assert_eq!(PersonName::parse(&"x".repeat(101)).unwrap_err().code, "too_long");
        let e = parse_text_tr(&"x".repeat(4001), 4000, "Your message", "Votre message").unwrap_err();
        assert_eq!(e.code, "too_long");
        assert_eq!(e.en, "Your message has at most 4000 characters");
        assert_eq!(e.fr, "Votre message\u{a0}: 4\u{a0}000 caractères au maximum");
        let e = parse_text_tr("a\u{1}b", 10, "The plan", "Plan").unwrap_err();
        assert_eq!((e.code, e.en.as_str()), ("not_allowed_characters", "The plan cannot contain control characters"));
        assert_eq!(e.fr, "Plan\u{a0}: les caractères de contrôle ne sont pas acceptés");
        assert_eq!(parse_text_tr("ok\r\n", 10, "The plan", "Plan").unwrap(), "ok");
        let e = parse_date("2026-02-30").unwrap_err();
        assert_eq!((e.code, e.fr.as_str()), ("invalid_format", "Saisissez une date valide, avec le jour, le mois et l’année"));
        assert_eq!(parse_date(" ").unwrap_err().code, "required");
        assert_eq!(number_fr(120), "120");
        assert_eq!(number_fr(1234567), "1\u{a0}234\u{a0}567");
    }

    #[test]
    fn serde_revalidates() {
        assert!(serde_json::from_str::<Cpso>("\"0123\"").is_err());
        assert_eq!(serde_json::from_str::<Cpso>("\"123\"").unwrap().as_str(), "123");
        assert_eq!(serde_json::to_string(&Language::Fr).unwrap(), "\"fr\"");
    }
}
