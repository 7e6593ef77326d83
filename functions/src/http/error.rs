//! Everything a request can fail with, and how use-case failures map to it.
use http::StatusCode;

use crate::app::{ActionError, Failure};
use crate::domain::{FieldError, Language, Refusal, SubmitBlocked, Text};
use crate::store::StoreError;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Everything a request can fail with.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400: which fields, what is wrong.
    Validation { message: Text, fields: Vec<FieldError> },
    /// 401: no valid access code.
    Unauthorized(Text),
    /// 403: a valid code, but not allowed here.
    Forbidden(Text),
    /// 404
    NotFound(Text),
    /// 405, with the allowed methods.
    MethodNotAllowed(&'static [&'static str]),
    /// 409: a program rule conflicts with what is stored. `extra` is merged into the JSON.
    Conflict { message: Text, fields: Vec<FieldError>, extra: Option<serde_json::Value> },
    /// 413
    PayloadTooLarge,
    /// 429: a daily limit is reached.
    TooManyRequests(Text),
    /// 415
    UnsupportedMediaType,
    /// 503 with Retry-After (seconds): a dependency is busy or down; trying
    /// again later can work. `cause` is logged (a kind, never personal data).
    Unavailable { retry_after: u32, cause: &'static str },
    /// 500: a bug or bad stored data; trying again will not help. `cause` is logged.
    Internal { cause: &'static str },
}

impl ApiError {
    pub fn validation(message: Text, fields: Vec<FieldError>) -> Self {
        ApiError::Validation { message, fields }
    }
    pub fn conflict(message: Text, fields: Vec<FieldError>) -> Self {
        ApiError::Conflict { message, fields, extra: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` value of the JSON body (also what the request log records).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
    }

    /// What went wrong, for people, in `lang`.
    pub fn message(&self, lang: Language) -> String {
        let t = match self {
            ApiError::Validation { message, .. } | ApiError::Conflict { message, .. } => return message.get(lang).to_string(),
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::NotFound(m) | ApiError::TooManyRequests(m) => {
                return m.get(lang).to_string()
            }
            ApiError::MethodNotAllowed(allow) => Text::new(
                format!("This address accepts only {}", allow.join(", ")),
                format!("Cette adresse n’accepte que {}", allow.join(", ")),
            ),
            ApiError::PayloadTooLarge => Text::new(
                format!("The request is too large (at most {} KiB)", BODY_LIMIT / 1024),
                format!("La requête est trop volumineuse (au plus {}\u{a0}Kio)", BODY_LIMIT / 1024),
            ),
            ApiError::UnsupportedMediaType => Text::new(
                "Send the request as application/json or application/x-www-form-urlencoded",
                "Envoyez la requête en application/json ou en application/x-www-form-urlencoded",
            ),
            ApiError::Unavailable { .. } => Text::new(
                "The service is busy. Please try again in a moment; nothing was saved.",
                "Le service est occupé. Veuillez réessayer dans un moment; rien n’a été enregistré.",
            ),
            ApiError::Internal { .. } => Text::new(
                "Something went wrong on our side; nothing was saved. Please try again later.",
                "Un problème est survenu de notre côté; rien n’a été enregistré. Veuillez réessayer plus tard.",
            ),
        };
        t.get(lang).to_string()
    }

    /// What to log for a 5xx: the kind of failure behind it.
    pub fn cause(&self) -> Option<&'static str> {
        match self {
            ApiError::Unavailable { cause, .. } | ApiError::Internal { cause } => Some(cause),
            _ => None,
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            ApiError::Validation { fields, .. } | ApiError::Conflict { fields, .. } => fields,
            _ => &[],
        }
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Store(e) => e.into(),
            Failure::Random(_) => ApiError::Internal { cause: "random_unavailable" },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled => ApiError::Unavailable { retry_after: 2, cause: "store_throttled" },
            StoreError::Unavailable(_) => ApiError::Unavailable { retry_after: 5, cause: "store_unavailable" },
            StoreError::NotFound => ApiError::NotFound(Text::new("Not found", "Introuvable")),
            StoreError::Corrupt(_) => ApiError::Internal { cause: "store_corrupt" },
            StoreError::Internal(_) => ApiError::Internal { cause: "store_internal" },
            StoreError::Partial { .. } => ApiError::Internal { cause: "store_partial_write" },
            // Conflicts are mapped by each route, which knows the fields; a
            // stray one is still a 409.
            StoreError::Conflict(k) => ApiError::conflict(
                Text::new(
                    format!("This conflicts with what is stored ({k:?})"),
                    format!("Ceci entre en conflit avec ce qui est enregistré ({k:?})"),
                ),
                vec![],
            ),
        }
    }
}

/// A change to a group that was not made, as people read it. Field names
/// are those of the "invite a peer" form where one applies.
impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        let conflict = |en: &str, fr: &str| ApiError::conflict(Text::new(en, fr), vec![]);
        match e {
            ActionError::Refused(r) => match r {
                Refusal::NotLead => ApiError::Forbidden(Text::new(
                    "Only the group's lead can do this",
                    "Seule la personne responsable du groupe peut faire ceci",
                )),
                Refusal::AlreadyConfirmed => conflict(
                    "This proposal has already been confirmed: the peers have been invited",
                    "Cette proposition a déjà été confirmée\u{a0}: les collègues ont été invités",
                ),
                Refusal::NotConfirmed => conflict("Confirm the group's proposal first", "Confirmez d’abord la proposition du groupe"),
                Refusal::NoInvitation => conflict(
                    "There is no pending invitation for you in this group: it may have lapsed, been withdrawn, or been answered already",
                    "Vous n’avez aucune invitation en attente dans ce groupe\u{a0}: elle a peut-être expiré, été annulée ou déjà reçu une réponse",
                ),
                Refusal::NotAccepted => conflict("Accept your invitation to the group first", "Acceptez d’abord votre invitation au groupe"),
                Refusal::Closed => conflict(
                    "The group's plan has been submitted, or the group was dissolved: it can no longer change",
                    "Le plan du groupe a été soumis, ou le groupe a été dissous\u{a0}: il ne peut plus changer",
                ),
                Refusal::GroupFull => ApiError::conflict(
                    Text::new("The group is full", "Le groupe est complet"),
                    vec![FieldError::tr(
                        "peer_cpso",
                        "too_many",
                        "A group has at most six peers, accepted or invited: withdraw an invitation first",
                        "Un groupe compte au plus six collègues, acceptés ou invités\u{a0}: annulez d’abord une invitation",
                    )],
                ),
                Refusal::CpsoInGroup => ApiError::conflict(
                    Text::new("This physician is already named in the group", "Ce médecin fait déjà partie du groupe"),
                    vec![FieldError::tr(
                        "peer_cpso",
                        "duplicate",
                        "This CPSO number is already in the group",
                        "Ce numéro d’inscription à l’OMCO figure déjà dans le groupe",
                    )],
                ),
                Refusal::EmailInGroup => ApiError::conflict(
                    Text::new("Another member has this email address", "Un autre membre a cette adresse courriel"),
                    vec![FieldError::tr(
                        "peer_email",
                        "duplicate",
                        "Each member needs their own email address: another member of the group has this one",
                        "Chaque membre doit avoir sa propre adresse courriel\u{a0}: un autre membre du groupe utilise celle-ci",
                    )],
                ),
                Refusal::LeadStays => conflict(
                    "The lead cannot leave or be removed: the lead can dissolve the group instead",
                    "La personne responsable ne peut pas quitter le groupe ni en être retirée\u{a0}: elle peut plutôt dissoudre le groupe",
                ),
                Refusal::NoSuchMember => ApiError::NotFound(Text::new("There is no such member in the group", "Ce membre ne fait pas partie du groupe")),
                Refusal::PlanChanged => conflict(
                    "The plan changed since you opened it: another member saved it. Review it, then submit again",
                    "Le plan a changé depuis que vous l’avez ouvert\u{a0}: un autre membre l’a enregistré. Relisez-le, puis soumettez-le de nouveau",
                ),
                Refusal::Blocked(SubmitBlocked::NotFormed) => conflict(
                    "The group is not formed yet: at least one peer must accept before the plan can be submitted",
                    "Le groupe n’est pas encore formé\u{a0}: au moins une ou un collègue doit accepter avant que le plan puisse être soumis",
                ),
                Refusal::Blocked(SubmitBlocked::AlreadySubmitted) => {
                    conflict("The group's plan has already been submitted", "Le plan du groupe a déjà été soumis")
                }
                Refusal::Blocked(SubmitBlocked::ActivitiesIncomplete(_)) => conflict(ACTIVITIES_INCOMPLETE.0, ACTIVITIES_INCOMPLETE.1),
                Refusal::DataRecorded(fields) => ApiError::conflict(
                    Text::new(
                        "The plan could not be saved, because data recorded for its goals depends on it; nothing was changed",
                        "Le plan n’a pas pu être enregistré, car des données saisies pour ses objectifs en dépendent; rien n’a été modifié",
                    ),
                    fields,
                ),
            },
            ActionError::InOpenGroup(_) => conflict(
                "You are already a member of another open QI group, and a physician can be in only one at a time: leave that group first (if you lead it, dissolve it; otherwise leave it or ask its lead to remove you), then try again",
                "Vous faites déjà partie d’un autre groupe AQ actif, et un médecin ne peut faire partie que d’un groupe à la fois\u{a0}: quittez d’abord ce groupe (si vous en êtes responsable, dissolvez-le; sinon, quittez-le ou demandez à sa personne responsable de vous retirer), puis réessayez",
            ),
            ActionError::SessionEnded => ApiError::Unauthorized(Text::new(
                "Your session has ended: open your personal link again to sign in",
                "Votre session a pris fin\u{a0}: ouvrez de nouveau votre lien personnel pour vous connecter",
            )),
            ActionError::LimitReached => ApiError::TooManyRequests(Text::new(
                "Too many emails have been sent to one of these addresses today, so nothing was changed: please try again tomorrow",
                "Trop de courriels ont été envoyés à l’une de ces adresses aujourd’hui, alors rien n’a été modifié\u{a0}: veuillez réessayer demain",
            )),
            ActionError::ActivitiesIncomplete(_) => conflict(ACTIVITIES_INCOMPLETE.0, ACTIVITIES_INCOMPLETE.1),
            ActionError::Gone => ApiError::NotFound(Text::new(
                "This group or invitation no longer exists: it may have lapsed, been withdrawn, or been discarded",
                "Ce groupe ou cette invitation n’existe plus\u{a0}: l’invitation a peut-être expiré ou été annulée, ou la proposition a été abandonnée",
            )),
            ActionError::Busy => ApiError::Unavailable { retry_after: 1, cause: "group_busy" },
            ActionError::Failed(f) => f.into(),
        }
    }
}

const ACTIVITIES_INCOMPLETE: (&str, &str) = (
    "Every member must complete all four activities before the plan is submitted",
    "Chaque membre doit terminer les quatre activités avant que le plan soit soumis",
);
