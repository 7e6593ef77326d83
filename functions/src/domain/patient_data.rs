//! A guard for free text (data-point notes, measure definitions): this is a
//! place for counts and rates, never for patient information.
//!
//! [`looks_like_patient_data`] recognises the identifiers people most often
//! paste from a chart by mistake:
//!
//! - an **Ontario health card number**: 10 digits, written together or
//!   grouped 4-3-3 with spaces or hyphens, with or without the two-letter
//!   version code after it;
//! - a **labelled medical record number**: "MRN 123456", "chart # 44521",
//!   "dossier no 12345" (an unlabelled number is just a number);
//! - a **labelled date of birth**: "DOB 12/03/1954", "d.o.b.: 3 March 1954",
//!   "born 1954-03-12", "né le 12 mars 1954";
//! - a **name with a date**: two capitalised words that look like a first
//!   and last name right next to a full date ("Mary O'Brien 12/03/1954",
//!   "SMITH, John (1954-03-12)").
//!
//! It is a heuristic written to refuse the obvious and let ordinary notes
//! through: "Reviewed 20 charts on 3 March 2026", "Dr Lee audited November",
//! "Anna Kim and Raj Patel reviewed 40 charts" and "Chart Audit 2026-03-01"
//! all pass. A name counts only right beside the date (only punctuation in
//! between), a clinician's title (Dr, Nurse, …) in front of the name means
//! it is not a patient, and capitalised words that are common in notes
//! (months, weekdays, "Chart", "Team", …) are not names.
//!
//! Written by hand over a small tokenizer rather than with regular
//! expressions: the crate has no `regex` dependency, and the name rule
//! (walking outwards from a date, word lists, titles) is clearer as code.

use super::values::Invalid;

/// The sentence every refusal ends with.
macro_rules! refusal {
    ($what:literal) => {
        concat!("This looks like ", $what, ". This is a place for counts, not patient information: remove it.")
    };
}

/// The same sentence in French.
macro_rules! refusal_fr {
    ($what:literal) => {
        concat!(
            "Ce texte semble contenir ",
            $what,
            ". Cet espace est réservé aux décomptes, pas aux renseignements sur les patients\u{a0}: retirez cette information."
        )
    };
}

pub const HEALTH_CARD: &str = refusal!("an Ontario health card number");
pub const RECORD_NUMBER: &str = refusal!("a medical record or chart number");
pub const DATE_OF_BIRTH: &str = refusal!("a date of birth");
pub const NAME_WITH_DATE: &str = refusal!("a person's name with a date, perhaps a date of birth");

pub const HEALTH_CARD_FR: &str = refusal_fr!("un numéro de carte Santé de l’Ontario");
pub const RECORD_NUMBER_FR: &str = refusal_fr!("un numéro de dossier médical");
pub const DATE_OF_BIRTH_FR: &str = refusal_fr!("une date de naissance");
pub const NAME_WITH_DATE_FR: &str = refusal_fr!("le nom d’une personne accompagné d’une date, peut-être une date de naissance");

/// The kind of patient information a text seems to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientData {
    HealthCard,
    RecordNumber,
    DateOfBirth,
    NameWithDate,
}

impl PatientData {
    /// The refusal in English (one of [`HEALTH_CARD`], …).
    pub fn en(self) -> &'static str {
        match self {
            PatientData::HealthCard => HEALTH_CARD,
            PatientData::RecordNumber => RECORD_NUMBER,
            PatientData::DateOfBirth => DATE_OF_BIRTH,
            PatientData::NameWithDate => NAME_WITH_DATE,
        }
    }
    /// The refusal in French (one of [`HEALTH_CARD_FR`], …).
    pub fn fr(self) -> &'static str {
        match self {
            PatientData::HealthCard => HEALTH_CARD_FR,
            PatientData::RecordNumber => RECORD_NUMBER_FR,
            PatientData::DateOfBirth => DATE_OF_BIRTH_FR,
            PatientData::NameWithDate => NAME_WITH_DATE_FR,
        }
    }
    /// The refusal as a value's problem, code `patient_data`.
    pub fn invalid(self) -> Invalid {
        Invalid::tr("patient_data", self.en(), self.fr())
    }
}

/// What kind of patient information `text` seems to hold, or `None` when it
/// looks like an ordinary note.
pub fn detect_patient_data(text: &str) -> Option<PatientData> {
    let tokens = tokenize(text);
    let t = Tokens { text, tokens: &tokens };
    if (0..tokens.len()).any(|i| t.health_card_at(i)) {
        return Some(PatientData::HealthCard);
    }
    if (0..tokens.len()).any(|i| t.record_number_at(i)) {
        return Some(PatientData::RecordNumber);
    }
    if (0..tokens.len()).any(|i| t.labelled_birth_date_at(i)) {
        return Some(PatientData::DateOfBirth);
    }
    let dates = (0..tokens.len()).filter_map(|i| t.date_at(i).map(|end| (i, end)));
    for (start, end) in dates {
        if t.name_before(start) || t.name_after(end) {
            return Some(PatientData::NameWithDate);
        }
    }
    None
}

/// Why `text` looks like patient data, as a message for the person who typed
/// it (in English), or `None` when it looks like an ordinary note.
pub fn looks_like_patient_data(text: &str) -> Option<&'static str> {
    detect_patient_data(text).map(PatientData::en)
}

/// Why `text` looks like patient data, in both languages (code
/// `patient_data`), or `None` when it looks like an ordinary note.
pub fn patient_data_refusal(text: &str) -> Option<Invalid> {
    detect_patient_data(text).map(PatientData::invalid)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Letters, with apostrophes and hyphens inside ("O'Brien", "Jean-Luc").
    Word,
    /// ASCII digits.
    Number,
    /// Any other visible character, one per token.
    Punct,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// Byte range in the text.
    start: usize,
    end: usize,
}

/// Words, numbers and punctuation; whitespace only separates. "3rd" is a
/// number then a word with nothing between them.
fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let kind = if c.is_ascii_digit() {
            Kind::Number
        } else if c.is_alphabetic() {
            Kind::Word
        } else if c.is_whitespace() {
            continue;
        } else {
            out.push(Token { kind: Kind::Punct, start, end: start + c.len_utf8() });
            continue;
        };
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            let more = match kind {
                Kind::Number => next.is_ascii_digit(),
                // An apostrophe or hyphen continues a word only between letters.
                _ if matches!(next, '\'' | '’' | '-') => text[i + next.len_utf8()..].chars().next().is_some_and(char::is_alphabetic),
                _ => next.is_alphabetic(),
            };
            if !more {
                break;
            }
            end = i + next.len_utf8();
            chars.next();
        }
        out.push(Token { kind, start, end });
    }
    out
}

struct Tokens<'a> {
    text: &'a str,
    tokens: &'a [Token],
}

/// Clinicians' titles: a name after one is a colleague, not a patient.
const TITLES: &[&str] =
    &["dr", "dre", "doctor", "docteur", "docteure", "prof", "professor", "nurse", "np", "rn", "rpn", "md", "pharmacist"];

/// Honorifics: evidence of a person's name, so "Mrs Smith" is two name words.
const HONORIFICS: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "mme", "mlle"];

/// Capitalised words common in notes that are not names (compared in lower
/// case). Month and weekday names are added by [`is_calendar_word`].
const NOT_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "we",
    "our",
    "i",
    "it",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "to",
    "of",
    "and",
    "or",
    "with",
    "after",
    "before",
    "since",
    "until",
    "as",
    "per",
    "all",
    "no",
    "not",
    "total",
    "totals",
    "note",
    "notes",
    "chart",
    "charts",
    "audit",
    "audits",
    "audited",
    "review",
    "reviews",
    "reviewed",
    "report",
    "reports",
    "emr",
    "emrs",
    "tally",
    "data",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "quarter",
    "cycle",
    "cycles",
    "pdsa",
    "plan",
    "do",
    "study",
    "act",
    "baseline",
    "target",
    "goal",
    "goals",
    "period",
    "team",
    "teams",
    "meeting",
    "huddle",
    "clinic",
    "practice",
    "office",
    "staff",
    "sample",
    "samples",
    "random",
    "patients",
    "patient",
    "visit",
    "visits",
    "screening",
    "screened",
    "flu",
    "vaccine",
    "vaccines",
    "vaccination",
    "shots",
    "immunization",
    "immunizations",
    "allergy",
    "allergies",
    "status",
    "recorded",
    "missing",
    "done",
    "completed",
    "started",
    "ended",
    "updated",
    "update",
    "count",
    "counts",
    "measure",
    "measures",
    "summary",
    "result",
    "results",
    "family",
    "health",
    "centre",
    "center",
    "hospital",
    "community",
    "ontario",
    "canada",
    "group",
    "qi",
    "improvement",
    "quality",
    "new",
    "old",
    "first",
    "last",
    "next",
    "start",
    "end",
    "today",
    "yesterday",
    "tomorrow",
    "holiday",
    "holidays",
    "christmas",
    "easter",
    "thanksgiving",
    "day",
    "days",
    "run",
    "ran",
    "pulled",
    "extracted",
    "query",
    "search",
    "list",
    "lists",
    "registry",
    "reminder",
    "reminders",
    "recall",
    "recalls",
    "call",
    "calls",
    "phone",
    "email",
    "letter",
    "letters",
    "portal",
    "form",
    "forms",
    "diabetes",
    "hypertension",
    "copd",
    "asthma",
    "cancer",
    "colorectal",
    "cervical",
    "breast",
    "mammogram",
    "pap",
    "fit",
    "hba1c",
    "a1c",
    "ldl",
    "bp",
    "ekg",
    "ecg",
    "lab",
    "labs",
    "test",
    "tests",
    "referral",
    "referrals",
    "wait",
    "time",
    "times",
    "minutes",
    "hours",
    "access",
    "appointment",
    "appointments",
    "same",
    "session",
    "sessions",
    "program",
    "version",
    "v",
    // French
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "nous",
    "notre",
    "nos",
    "et",
    "ou",
    "avec",
    "après",
    "avant",
    "depuis",
    "semaine",
    "semaines",
    "mois",
    "année",
    "années",
    "dossiers",
    "revue",
    "rapport",
    "rapports",
    "équipe",
    "réunion",
    "clinique",
    "rendez-vous",
    "fête",
    "noël",
    "pâques",
    "cycle",
    "objectif",
    "cible",
    "données",
    "mesure",
    "mesures",
    "total",
    "début",
    "fin",
];

fn is_calendar_word(lower: &str) -> bool {
    month_number(lower).is_some()
        || matches!(
            lower,
            "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "mon"
                | "tue"
                | "tues"
                | "wed"
                | "thu"
                | "thur"
                | "thurs"
                | "fri"
                | "sat"
                | "sun"
                | "lundi"
                | "mardi"
                | "mercredi"
                | "jeudi"
                | "vendredi"
                | "samedi"
                | "dimanche"
        )
}

/// A month's name or abbreviation, in English or French, as its number.
fn month_number(lower: &str) -> Option<u32> {
    Some(match lower {
        "january" | "jan" | "janvier" | "janv" => 1,
        "february" | "feb" | "février" | "fevrier" | "févr" | "fevr" | "fév" | "fev" => 2,
        "march" | "mar" | "mars" => 3,
        "april" | "apr" | "avril" | "avr" => 4,
        "may" | "mai" => 5,
        "june" | "jun" | "juin" => 6,
        "july" | "jul" | "juillet" | "juil" => 7,
        "august" | "aug" | "août" | "aout" => 8,
        "september" | "sep" | "sept" | "septembre" => 9,
        "october" | "oct" | "octobre" => 10,
        "november" | "nov" | "novembre" => 11,
        "december" | "dec" | "décembre" | "decembre" | "déc" => 12,
        _ => return None,
    })
}

/// What a word can be in the name rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameWord {
    /// Looks like part of a person's name (or an honorific).
    Name,
    /// A clinician's title: whatever name follows is not a patient's.
    Title,
    /// Anything else: ends the name.
    Other,
}

impl Tokens<'_> {
    fn get(&self, i: usize) -> Option<Token> {
        self.tokens.get(i).copied()
    }
    fn str(&self, t: Token) -> &str {
        &self.text[t.start..t.end]
    }
    fn lower(&self, i: usize) -> Option<String> {
        self.get(i).map(|t| self.str(t).to_lowercase())
    }
    fn is_word(&self, i: usize, words: &[&str]) -> bool {
        self.get(i).is_some_and(|t| t.kind == Kind::Word) && self.lower(i).is_some_and(|w| words.contains(&w.as_str()))
    }
    fn is_punct(&self, i: usize, chars: &[char]) -> bool {
        self.get(i).is_some_and(|t| t.kind == Kind::Punct && self.str(t).chars().next().is_some_and(|c| chars.contains(&c)))
    }
    fn digits(&self, i: usize) -> Option<usize> {
        self.get(i).filter(|t| t.kind == Kind::Number).map(|t| t.end - t.start)
    }
    fn number(&self, i: usize) -> Option<u32> {
        self.get(i).filter(|t| t.kind == Kind::Number && t.end - t.start <= 9).and_then(|t| self.str(t).parse().ok())
    }
    /// Tokens `i` and `i + 1` touch, with no space between.
    fn touching(&self, i: usize) -> bool {
        matches!((self.get(i), self.get(i + 1)), (Some(a), Some(b)) if a.end == b.start)
    }
    /// Exactly one space (any whitespace character) between tokens `i` and `i + 1`.
    fn one_space(&self, i: usize) -> bool {
        match (self.get(i), self.get(i + 1)) {
            (Some(a), Some(b)) => {
                let gap = &self.text[a.end..b.start];
                gap.chars().count() == 1 && gap.chars().all(char::is_whitespace)
            }
            _ => false,
        }
    }
    /// Skip an optional `.` right after token `i - 1`: the index after it.
    fn skip_dot(&self, i: usize) -> usize {
        if self.is_punct(i, &['.']) {
            i + 1
        } else {
            i
        }
    }

    /// A health card number starts at token `i`: ten digits on their own,
    /// or 4-3-3 separated by single spaces or hyphens. The version code
    /// after it changes nothing, so it is not looked at. The check digit is
    /// not checked either: a mistyped number is still patient data.
    fn health_card_at(&self, i: usize) -> bool {
        if i > 0 && self.is_grouped_number_before(i) {
            return false;
        }
        if self.digits(i) == Some(10) {
            return true;
        }
        if self.digits(i) != Some(4) {
            return false;
        }
        let Some(j) = self.group_separator(i) else { return false };
        if self.digits(j) != Some(3) {
            return false;
        }
        let Some(k) = self.group_separator(j) else { return false };
        if self.digits(k) != Some(3) {
            return false;
        }
        // "1234 567 890 123" is some other long number, not a health card.
        self.group_separator(k).is_none_or(|l| self.digits(l).is_none())
    }
    /// After the digit group at `i`, a separator then the next group's index.
    fn group_separator(&self, i: usize) -> Option<usize> {
        if self.is_punct(i + 1, &['-', '–']) && self.touching(i) && self.touching(i + 1) {
            Some(i + 2)
        } else if self.one_space(i) {
            Some(i + 1)
        } else {
            None
        }
    }
    /// Token `i` continues a group of digits before it ("12 1234 567 890").
    fn is_grouped_number_before(&self, i: usize) -> bool {
        if self.digits(i).is_none() {
            return false;
        }
        if self.is_punct(i - 1, &['-', '–']) && self.touching(i - 1) && i >= 2 && self.touching(i - 2) {
            return self.digits(i - 2).is_some();
        }
        self.one_space(i - 1) && self.digits(i - 1).is_some()
    }

    /// A labelled record number starts at token `i`: "MRN 123456",
    /// "MRN: A12345", "chart # 44521", "chart no. 12345", "medical record
    /// number 1234", "dossier no 12345". After "MRN" three digits are enough;
    /// after "chart #" it takes four, because "chart #3" in an audit note is
    /// usually the third chart of the sample.
    fn record_number_at(&self, i: usize) -> bool {
        let (after, min_digits) = if self.is_word(i, &["mrn", "mrns"]) {
            (i + 1, 3)
        } else if self.is_word(i, &["mr"]) && self.is_punct(i + 1, &['#']) {
            (i + 2, 3)
        } else if self.is_word(i, &["medical", "health"]) && self.is_word(i + 1, &["record"]) {
            match self.number_label(i + 2) {
                Some(j) => (j, 3),
                None => return false,
            }
        } else if self.is_word(i, &["chart", "record", "dossier", "patient"]) {
            match self.number_label(i + 1) {
                Some(j) => (j, 4),
                None => return false,
            }
        } else {
            return false;
        };
        let mut j = after;
        while self.is_punct(j, &[':', '#', '-', '=']) || self.is_word(j, &["is"]) {
            j += 1;
        }
        self.identifier_digits(j) >= min_digits
    }
    /// "#", "no", "no.", "n°", "number", "num", "id", "numéro": the index after it.
    fn number_label(&self, i: usize) -> Option<usize> {
        if self.is_punct(i, &['#', '№']) {
            Some(i + 1)
        } else if self.is_word(i, &["no", "nos", "num", "nr", "nº"]) {
            Some(self.skip_dot(i + 1))
        } else if self.is_word(i, &["n"]) && self.is_punct(i + 1, &['°', 'º']) {
            Some(i + 2)
        } else if self.is_word(i, &["number", "numéro", "numero", "id"]) {
            Some(i + 1)
        } else {
            None
        }
    }
    /// The digits of an identifier starting at `i`: touching letters and
    /// numbers ("A12345", "12-3456"), counted until a space.
    fn identifier_digits(&self, i: usize) -> usize {
        let mut digits = 0;
        let mut j = i;
        while let Some(t) = self.get(j) {
            match t.kind {
                Kind::Number => digits += t.end - t.start,
                Kind::Word => {}
                Kind::Punct if self.is_punct(j, &['-']) && j > i => {}
                Kind::Punct => break,
            }
            if !self.touching(j) {
                break;
            }
            j += 1;
        }
        digits
    }

    /// A date-of-birth label at token `i` followed by a date.
    fn labelled_birth_date_at(&self, i: usize) -> bool {
        let Some(mut j) = self.birth_label(i) else { return false };
        while self.is_punct(j, &[':', '-', '=', '(']) || self.is_word(j, &["on", "le", "is", "was", "in"]) {
            j += 1;
        }
        self.date_at(j).is_some()
    }
    /// "DOB", "D.O.B.", "date of birth", "birth date", "birthdate", "born",
    /// "né le", "née", "date de naissance", "DDN": the index after it.
    fn birth_label(&self, i: usize) -> Option<usize> {
        if self.is_word(i, &["dob", "ddn", "birthdate", "born", "né", "née", "birthday"]) {
            return Some(self.skip_dot(i + 1));
        }
        // d.o.b. / d. o. b.
        if self.is_word(i, &["d"])
            && self.is_punct(i + 1, &['.'])
            && self.is_word(i + 2, &["o"])
            && self.is_punct(i + 3, &['.'])
            && self.is_word(i + 4, &["b"])
        {
            return Some(self.skip_dot(i + 5));
        }
        if self.is_word(i, &["date"]) && self.is_word(i + 1, &["of"]) && self.is_word(i + 2, &["birth"]) {
            return Some(i + 3);
        }
        if self.is_word(i, &["birth"]) && self.is_word(i + 1, &["date"]) {
            return Some(i + 2);
        }
        if self.is_word(i, &["date"]) && self.is_word(i + 1, &["de"]) && self.is_word(i + 2, &["naissance"]) {
            return Some(i + 3);
        }
        None
    }

    /// A full date (day, month and year) starts at token `i`: the index after it.
    ///
    /// Numeric: `1954-03-12`, `12/03/1954`, `03/12/54`, `12.03.1954` (the
    /// same separator twice, no spaces, a real day and month in at least one
    /// reading). In words: `3 March 1954`, `3rd March, 1954`, `1er mars
    /// 1954`, `12-Mar-1954`, `March 3, 1954`, `Mar. 3rd 1954`.
    fn date_at(&self, i: usize) -> Option<usize> {
        self.numeric_date_at(i).or_else(|| self.day_month_year_at(i)).or_else(|| self.month_day_year_at(i))
    }
    fn numeric_date_at(&self, i: usize) -> Option<usize> {
        let seps = ['/', '-', '.'];
        let (a, b, c) = (self.digits(i)?, self.digits(i + 2)?, self.digits(i + 4)?);
        let sep = self.get(i + 1).map(|t| self.str(t))?;
        if !self.is_punct(i + 1, &seps) || self.get(i + 3).map(|t| self.str(t)) != Some(sep) {
            return None;
        }
        if !(i..i + 4).all(|k| self.touching(k)) {
            return None;
        }
        // Not part of a longer number or version ("1.2.3.4", "12-03-2026-7").
        let number_before = i > 0
            && self.touching(i - 1)
            && (self.digits(i - 1).is_some()
                || (self.is_punct(i - 1, &seps) && i >= 2 && self.touching(i - 2) && self.digits(i - 2).is_some()));
        let number_after = self.touching(i + 4) && self.is_punct(i + 5, &seps) && self.touching(i + 5) && self.digits(i + 6).is_some();
        if number_before || number_after {
            return None;
        }
        let (x, y, z) = (self.number(i)?, self.number(i + 2)?, self.number(i + 4)?);
        let day_month = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
        let ok = match (a, b, c) {
            (4, 1..=2, 1..=2) => day_month(z, y),
            (1..=2, 1..=2, 2 | 4) => day_month(x, y) || day_month(y, x),
            _ => false,
        };
        ok.then_some(i + 5)
    }
    /// A day number, with an ordinal ("3rd", "1er") touching it: the index after.
    fn day_at(&self, i: usize) -> Option<usize> {
        if self.digits(i)? > 2 || !(1..=31).contains(&self.number(i)?) {
            return None;
        }
        if self.touching(i) && self.is_word(i + 1, &["st", "nd", "rd", "th", "er", "re", "e"]) {
            Some(i + 2)
        } else {
            Some(i + 1)
        }
    }
    /// A month's name at `i`, with an optional abbreviation dot: the index after.
    fn month_at(&self, i: usize) -> Option<usize> {
        let t = self.get(i).filter(|t| t.kind == Kind::Word)?;
        month_number(&self.str(t).to_lowercase())?;
        Some(self.skip_dot(i + 1))
    }
    fn year_at(&self, i: usize) -> Option<usize> {
        (self.digits(i)? == 4).then_some(i + 1)
    }
    fn day_month_year_at(&self, i: usize) -> Option<usize> {
        let mut j = self.day_at(i)?;
        let hyphens = self.is_punct(j, &['-']);
        if hyphens || self.is_punct(j, &['/']) {
            j += 1; // 12-Mar-1954
        }
        if self.is_word(j, &["de", "of"]) {
            j += 1; // "3 of March"
        }
        j = self.month_at(j)?;
        if self.is_punct(j, &[',', '-', '/']) {
            j += 1;
        }
        self.year_at(j)
    }
    fn month_day_year_at(&self, i: usize) -> Option<usize> {
        let mut j = self.month_at(i)?;
        j = self.day_at(j)?;
        if self.is_punct(j, &[',']) {
            j += 1;
        }
        self.year_at(j)
    }

    /// What the word at `i` is for the name rule.
    fn name_word(&self, i: usize) -> NameWord {
        let Some(t) = self.get(i).filter(|t| t.kind == Kind::Word) else { return NameWord::Other };
        let word = self.str(t);
        let lower = word.to_lowercase();
        if TITLES.contains(&lower.as_str()) {
            return NameWord::Title;
        }
        if HONORIFICS.contains(&lower.as_str()) {
            return NameWord::Name;
        }
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        if !capitalised || word.chars().count() < 2 || NOT_NAMES.contains(&lower.as_str()) || is_calendar_word(&lower) {
            return NameWord::Other;
        }
        NameWord::Name
    }
    /// A word written in capitals only ("SMITH", but also "EMR").
    fn all_caps(&self, i: usize) -> bool {
        self.get(i).is_some_and(|t| !self.str(t).chars().any(char::is_lowercase))
    }
    /// Two name words, not both in capitals (so "EMR PDSA" is not a name,
    /// but "SMITH John" is).
    fn is_name_pair(&self, first: usize, second: usize) -> bool {
        !(self.all_caps(first) && self.all_caps(second))
    }

    /// A person's name ends just before the date at `date` (only `(`, `,`,
    /// `:` or a dash between): "John Smith 1954-03-12", "SMITH, John (…)",
    /// "Mrs Smith: …", "John A. Smith, …". Not after a clinician's title.
    fn name_before(&self, date: usize) -> bool {
        let mut i = date;
        if i > 0 && self.is_punct(i - 1, &['(', ',', ':', '-', '–', '—']) {
            i -= 1;
        }
        let mut names = Vec::new();
        while i > 0 {
            let j = i - 1;
            match self.name_word(j) {
                NameWord::Name => names.push(j),
                NameWord::Title => return false,
                NameWord::Other if self.is_initial(j) => {}
                // "Dr. Anna Lee": the title's abbreviation dot.
                NameWord::Other
                    if self.is_punct(j, &['.']) && j > 0 && self.touching(j - 1) && self.name_word(j - 1) == NameWord::Title =>
                {
                    return false
                }
                // "Mr. John Smith": an honorific's dot.
                NameWord::Other if self.is_punct(j, &['.']) && j > 0 && self.touching(j - 1) && self.is_word(j - 1, HONORIFICS) => {}
                // "SMITH, John": a comma between surname and given name.
                NameWord::Other if self.is_punct(j, &[',']) && names.len() == 1 && j > 0 && self.name_word(j - 1) == NameWord::Name => {}
                NameWord::Other => break,
            }
            i = j;
        }
        names.len() >= 2 && self.is_name_pair(names[0], names[1])
    }
    /// A person's name starts just after a date ending at `end`:
    /// "1954-03-12 John Smith", "12/03/1954, Mary O'Brien".
    fn name_after(&self, end: usize) -> bool {
        let mut i = end;
        if self.is_punct(i, &[')', ',', ':', '-', '–', '—', ';']) {
            i += 1;
        }
        let mut names = Vec::new();
        while self.get(i).is_some() {
            match self.name_word(i) {
                NameWord::Name => names.push(i),
                NameWord::Title => return false,
                NameWord::Other if self.is_initial(i) => {}
                NameWord::Other if self.is_punct(i, &[',']) && names.len() == 1 && self.name_word(i + 1) == NameWord::Name => {}
                NameWord::Other => break,
            }
            i += 1;
        }
        names.len() >= 2 && self.is_name_pair(names[0], names[1])
    }
    /// A middle initial: one capital letter ("A", or the "." after it).
    fn is_initial(&self, i: usize) -> bool {
        let letter = |k: usize| {
            self.get(k)
                .is_some_and(|t| t.kind == Kind::Word && self.str(t).chars().count() == 1 && self.str(t).chars().all(char::is_uppercase))
        };
        letter(i) || (self.is_punct(i, &['.']) && i > 0 && letter(i - 1) && self.touching(i - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<&'static str> {
        looks_like_patient_data(text)
    }

    #[test]
    fn health_card_numbers() {
        for text in [
            "1234567890",
            "HCN 1234567890",
            "1234567890AB",
            "1234567890 AB",
            "1234 567 890",
            "1234 567 890 AB",
            "1234-567-890",
            "1234-567-890-XY",
            "1234–567–890",
            "health card: 1234 567 890 ok",
            "See 9876543210.",
            "(1234-567-890)",
            "A1234567890",
        ] {
            assert_eq!(refused(text), Some(HEALTH_CARD), "{text:?}");
        }
    }

    #[test]
    fn numbers_that_are_not_health_cards() {
        for text in [
            "12345678901",      // 11 digits
            "123456789",        // 9 digits
            "613-555-0123",     // a phone number is 3-3-4
            "1 234 567 890",    // thousands
            "1234 567 8901",    // not 4-3-3
            "1234  567 890",    // two spaces: not one group
            "1234 567 890 123", // some longer number
            "Reviewed 1234 charts: 567 with allergies, 890 without",
            "45 of 60 (75%)",
            "2026-11-30",
            "20261130",
            "Week 47: 12 of 20",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn labelled_record_numbers() {
        for text in [
            "MRN 123456",
            "MRN: A12345",
            "mrn#00123",
            "MR# 4455",
            "chart # 445566",
            "chart #4455",
            "Chart no. 12345",
            "chart number 2345",
            "chart no 2345-12",
            "medical record number 12345",
            "Medical record # 998877",
            "dossier no 12345",
            "dossier n° 12345",
            "patient ID 88812",
            "record # 5555",
        ] {
            assert_eq!(refused(text), Some(RECORD_NUMBER), "{text:?}");
        }
    }

    #[test]
    fn notes_about_charts_and_mrns() {
        for text in [
            "20 charts reviewed",
            "chart audit of 20 charts",
            "chart #3 was missing allergy status",
            "chart #12 of 20 had no note",
            "MRN not recorded on 4 charts",
            "MRN missing in 3 of 20 charts",
            "MRNs checked",
            "chart 3 of 20",
            "record 12 of 40",
            "patient number 3 in the sample declined",
            "chart no 12",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn labelled_dates_of_birth() {
        for text in [
            "DOB 1954-03-12",
            "DOB: 12/03/1954",
            "dob 03/12/54",
            "D.O.B. 3 March 1954",
            "d.o.b.: 3 March 1954",
            "date of birth 1954-03-12",
            "Date of birth: March 3, 1954",
            "born 3rd March 1954",
            "born on 12.03.1954",
            "birthdate 1954-03-12",
            "birth date: 12-Mar-1954",
            "née le 12 mars 1954",
            "né le 1er mars 1954",
            "date de naissance : 12/03/1954",
            "DDN 1954-03-12",
            "Patient (DOB 12/03/1954) seen",
            "Patient John Smith,DOB:12/03/1954",
        ] {
            assert_eq!(refused(text), Some(DATE_OF_BIRTH), "{text:?}");
        }
    }

    #[test]
    fn birth_words_without_a_date() {
        for text in [
            "DOB not recorded on 4 charts",
            "date of birth missing in 2 charts",
            "Born out of our audit in March 2026: a recall list",
            "born in 1954",
            "newborn visits: 12",
            "DOB field checked in 20 charts",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn names_beside_dates() {
        for text in [
            "John Smith 1954-03-12",
            "John Smith, 12/03/1954",
            "Mary O'Brien (12/03/1954)",
            "SMITH, John 1954-03-12",
            "Smith, John: 3 March 1954",
            "John A. Smith 1954-03-12",
            "Mrs Smith 1954-03-12",
            "Émilie Côté 12 mars 1954",
            "Jean-Luc Tremblay - 1954-03-12",
            "1954-03-12 John Smith",
            "12/03/1954, Mary O'Brien",
            "Seen: March 3, 1954 Anna Kim",
            "Referred by Dr Lee: John Smith 1954-03-12",
            "John SMITH 1954-03-12",
            "Mr. John Smith 1954-03-12",
        ] {
            assert_eq!(refused(text), Some(NAME_WITH_DATE), "{text:?}");
        }
    }

    #[test]
    fn ordinary_notes_pass() {
        for text in [
            "",
            "Reviewed 20 charts on 3 March 2026",
            "Dr Lee audited November",
            "Dr Lee audited 20 charts on 3 March 2026",
            "Dr. Anna Lee, 3 March 2026",
            "Audit by Dr Anna Lee 2026-03-01",
            "DOB:1954 is not a date",
            "Dr Lee 2026-03-01",
            "3 March 2026 Dr Lee reviewed the list",
            "Anna Kim and Raj Patel reviewed 40 charts",
            "Anna Kim ran the report on 2026-03-01",
            "Report run 2026-11-30 by Sam",
            "Chart Audit 2026-03-01 to 2026-03-31",
            "EMR Report 2026-03-01",
            "Team Meeting 3 March 2026",
            "Flu Clinic 2026-10-15",
            "Monday March 3, 2026: huddle",
            "2026-03-03 Reviewed charts",
            "Week 47, 2026: 12 of 20",
            "November 2026",
            "PDSA Cycle 2, 2026-04-01",
            "Réunion d'équipe le 3 mars 2026",
            "Nous avons revu 20 dossiers le 12 mars 2026",
            "45 of 60 (75%). Reminder letters went out 2026-02-14.",
            "Version 1.2.3 of the EMR query",
            "12/20 had allergy status recorded",
            "May 3 vaccines were late",
            "Holiday Closure 2026-12-24",
            "Met with Anna Kim on 3 March 2026",
            "Ça va 👍 — l’équipe a revu 20 dossiers’",
            "Smith's clinic: 12/20",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn dates_recognised() {
        let date = |s: &str| {
            let tokens = tokenize(s);
            let t = Tokens { text: s, tokens: &tokens };
            t.date_at(0) == Some(tokens.len())
        };
        for s in [
            "1954-03-12",
            "12/03/1954",
            "03/12/54",
            "31.12.1999",
            "3 March 1954",
            "3rd March, 1954",
            "1er mars 1954",
            "12-Mar-1954",
            "March 3, 1954",
            "Mar. 3rd 1954",
            "3 of March 1954",
        ] {
            assert!(date(s), "{s:?} is a date");
        }
        for s in
            ["1954-13-12", "32/13/1954", "12/20", "March 1954", "3 March", "1954-03", "12 / 03 / 1954", "12/03-1954", "3 Marching 1954"]
        {
            assert!(!date(s), "{s:?} is not a full date");
        }
    }

    #[test]
    fn tokens() {
        let s = "O'Brien's 3rd chart-audit: 12/20";
        let kinds: Vec<_> = tokenize(s).iter().map(|t| (t.kind, &s[t.start..t.end])).collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Word, "O'Brien's"),
                (Kind::Number, "3"),
                (Kind::Word, "rd"),
                (Kind::Word, "chart-audit"),
                (Kind::Punct, ":"),
                (Kind::Number, "12"),
                (Kind::Punct, "/"),
                (Kind::Number, "20"),
            ]
        );
        assert!(tokenize("  \n\t ").is_empty());
        // A trailing apostrophe or hyphen is punctuation.
        assert_eq!(tokenize("Smith- x").len(), 3);
    }

    #[test]
    fn messages_say_what_to_do() {
        for m in [HEALTH_CARD, RECORD_NUMBER, DATE_OF_BIRTH, NAME_WITH_DATE] {
            assert!(m.starts_with("This looks like "), "{m}");
            assert!(m.ends_with("This is a place for counts, not patient information: remove it."), "{m}");
        }
        assert_eq!(
            HEALTH_CARD,
            "This looks like an Ontario health card number. This is a place for counts, not patient information: remove it."
        );
        for m in [HEALTH_CARD_FR, RECORD_NUMBER_FR, DATE_OF_BIRTH_FR, NAME_WITH_DATE_FR] {
            assert!(m.starts_with("Ce texte semble contenir "), "{m}");
            assert!(m.ends_with("pas aux renseignements sur les patients\u{a0}: retirez cette information."), "{m}");
        }
        assert_eq!(
            HEALTH_CARD_FR,
            "Ce texte semble contenir un numéro de carte Santé de l’Ontario. \
             Cet espace est réservé aux décomptes, pas aux renseignements sur les patients\u{a0}: retirez cette information."
        );
    }

    #[test]
    fn refusals_in_both_languages() {
        let e = patient_data_refusal("MRN 123456").unwrap();
        assert_eq!(e.code, "patient_data");
        assert_eq!(e.en, RECORD_NUMBER);
        assert_eq!(
            e.fr,
            "Ce texte semble contenir un numéro de dossier médical. \
             Cet espace est réservé aux décomptes, pas aux renseignements sur les patients\u{a0}: retirez cette information."
        );
        assert_eq!(detect_patient_data("John Smith 1954-03-12"), Some(PatientData::NameWithDate));
        assert_eq!(looks_like_patient_data("DOB 1954-03-12"), Some(DATE_OF_BIRTH));
        assert_eq!(patient_data_refusal("Reviewed 20 charts on 3 March 2026"), None);
    }
}
