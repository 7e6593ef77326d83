//! The emails the service sends, in the recipient's language. Subjects are
//! fixed sentences: no text anyone typed (a group's name, a person's name)
//! ever goes into a subject line.
use chrono::{DateTime, Utc};

use super::OutgoingMail;
use crate::domain::{program_date, Email, Language, PersonName, Role};

/// A date as people read it: "1 December 2026" / "1er décembre 2026".
pub fn long_date(t: DateTime<Utc>, lang: Language) -> String {
    crate::domain::long_day(program_date(t), lang)
}

/// Who a message is for.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub name: PersonName,
    pub email: Email,
    pub language: Language,
    pub role: Role,
}

fn mail(to: &Recipient, subject: &str, body: String, link: Option<&str>) -> OutgoingMail {
    OutgoingMail {
        to_name: to.name.clone(),
        to: to.email.clone(),
        subject: subject.to_string(),
        body,
        link: link.map(str::to_string),
        role: Some(to.role),
    }
}

const SIGN_EN: &str = "\nQI Groups, the QI Program's group service\n";
const SIGN_FR: &str = "\nQI Groups, le service des groupes du programme d'amélioration de la qualité\n";

/// To the lead on file: someone proposed a group with them as lead.
pub fn proposal(to: &Recipient, group: &str, setting: &str, peers: usize, link: &str, lapses: DateTime<Utc>) -> OutgoingMail {
    let date = long_date(lapses, to.language);
    match to.language {
        Language::En => mail(
            to,
            "Confirm your QI Group",
            format!(
                "Hello {name},\n\nA QI Group was proposed on the QI Groups website with you as its lead, using your CPSO number:\n\n  Group: {group}\n  Practice setting: {setting}\n  Peers named: {peers}\n\nIf this was you, open your personal link to review the proposal and confirm it:\n{link}\n\nNothing happens until you confirm: your peers are emailed only then, and each of them decides whether to join. The proposal lapses on {date}.\n\nIf this was not you, ignore this email: nobody is added to any group and nobody else is emailed.\n{SIGN_EN}",
                name = to.name
            ),
            Some(link),
        ),
        Language::Fr => mail(
            to,
            "Confirmez votre groupe d'amélioration de la qualité",
            format!(
                "Bonjour {name},\n\nUn groupe d'amélioration de la qualité a été proposé sur le site QI Groups avec vous comme responsable, à l'aide de votre numéro de l'Ordre :\n\n  Groupe : {group}\n  Milieu de pratique : {setting}\n  Pairs nommés : {peers}\n\nSi c'est bien vous, ouvrez votre lien personnel pour examiner la proposition et la confirmer :\n{link}\n\nRien ne se passe avant votre confirmation : vos pairs ne reçoivent un courriel qu'à ce moment, et chacun décide de se joindre ou non au groupe. La proposition expire le {date}.\n\nSi ce n'est pas vous, ne tenez pas compte de ce courriel : personne n'est ajouté à un groupe et personne d'autre ne reçoit de courriel.\n{SIGN_FR}",
                name = to.name
            ),
            Some(link),
        ),
    }
}

/// To a peer, once the lead has confirmed (or invited them later).
pub fn invitation(to: &Recipient, lead: &str, group: &str, link: &str, lapses: DateTime<Utc>) -> OutgoingMail {
    let date = long_date(lapses, to.language);
    match to.language {
        Language::En => mail(
            to,
            "You are invited to join a QI Group",
            format!(
                "Hello {name},\n\n{lead} invites you to join their QI Group \"{group}\" in the QI Program. A group's members each complete four QI activities and submit one Practice Improvement Plan together, which meets each member's quality requirement for five years.\n\nOpen your personal link to accept or decline:\n{link}\n\nYou are not a member unless you accept. The invitation lapses on {date}. Keep the link to yourself: it lets whoever has it act as you.\n\nIf you did not expect this message, you can ignore it.\n{SIGN_EN}",
                name = to.name
            ),
            Some(link),
        ),
        Language::Fr => mail(
            to,
            "Invitation à un groupe d'amélioration de la qualité",
            format!(
                "Bonjour {name},\n\n{lead} vous invite à vous joindre à son groupe d'amélioration de la qualité « {group} ». Chaque membre d'un groupe réalise quatre activités d'amélioration de la qualité, puis le groupe soumet ensemble un plan d'amélioration de la pratique, qui satisfait l'exigence de qualité de chaque membre pour cinq ans.\n\nOuvrez votre lien personnel pour accepter ou refuser :\n{link}\n\nVous n'êtes membre que si vous acceptez. L'invitation expire le {date}. Gardez ce lien pour vous : il permet à quiconque le possède d'agir en votre nom.\n\nSi vous n'attendiez pas ce message, vous pouvez l'ignorer.\n{SIGN_FR}",
                name = to.name
            ),
            Some(link),
        ),
    }
}

/// A new personal link (asked for on the website, or reissued by staff).
pub fn new_link(to: &Recipient, link: &str) -> OutgoingMail {
    match to.language {
        Language::En => mail(
            to,
            "Your new QI Groups link",
            format!(
                "Hello {name},\n\nHere is your new personal link to QI Groups:\n{link}\n\nYour previous link no longer works, and any browser that was signed in with it has been signed out.\n\nIf you did not ask for a new link, you can ignore this email; if it keeps happening, contact the QI Program.\n{SIGN_EN}",
                name = to.name
            ),
            Some(link),
        ),
        Language::Fr => mail(
            to,
            "Votre nouveau lien QI Groups",
            format!(
                "Bonjour {name},\n\nVoici votre nouveau lien personnel vers QI Groups :\n{link}\n\nVotre lien précédent ne fonctionne plus, et tout navigateur connecté avec celui-ci a été déconnecté.\n\nSi vous n'avez pas demandé de nouveau lien, vous pouvez ignorer ce courriel; si cela se répète, communiquez avec le programme.\n{SIGN_FR}",
                name = to.name
            ),
            Some(link),
        ),
    }
}

/// A change to the group that concerns the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// To the lead: a peer accepted.
    Accepted { peer: &'a str },
    /// To the lead: a peer declined.
    Declined { peer: &'a str },
    /// To the lead: a peer left.
    Left { peer: &'a str },
    /// To a peer: the lead removed them, or withdrew their invitation.
    Removed { lead: &'a str },
    /// To every member: the group was dissolved.
    Dissolved,
}

/// The group changed: one sentence saying how, and where to look.
pub fn change(to: &Recipient, group: &str, what: Change<'_>, site: &str) -> OutgoingMail {
    let page = format!("{site}/api/me");
    match to.language {
        Language::En => {
            let sentence = match what {
                Change::Accepted { peer } => format!("{peer} accepted your invitation to the QI Group \"{group}\"."),
                Change::Declined { peer } => format!("{peer} declined your invitation to the QI Group \"{group}\"."),
                Change::Left { peer } => format!("{peer} left the QI Group \"{group}\"."),
                Change::Removed { lead } => {
                    format!("{lead} removed you from the QI Group \"{group}\" (or withdrew your invitation). You are free to join another group.")
                }
                Change::Dissolved => format!("The QI Group \"{group}\" was dissolved. Its members are free to join another group."),
            };
            mail(
                to,
                "Your QI Group has changed",
                format!("Hello {name},\n\n{sentence}\n\nSee your group's page: {page}\n{SIGN_EN}", name = to.name),
                None,
            )
        }
        Language::Fr => {
            let sentence = match what {
                Change::Accepted { peer } => format!("{peer} a accepté votre invitation au groupe « {group} »."),
                Change::Declined { peer } => format!("{peer} a refusé votre invitation au groupe « {group} »."),
                Change::Left { peer } => format!("{peer} a quitté le groupe « {group} »."),
                Change::Removed { lead } => format!(
                    "{lead} vous a retiré du groupe « {group} » (ou a retiré votre invitation). Vous pouvez vous joindre à un autre groupe."
                ),
                Change::Dissolved => format!("Le groupe « {group} » a été dissous. Ses membres peuvent se joindre à un autre groupe."),
            };
            mail(
                to,
                "Votre groupe d'amélioration de la qualité a changé",
                format!("Bonjour {name},\n\n{sentence}\n\nConsultez la page de votre groupe : {page}\n{SIGN_FR}", name = to.name),
                None,
            )
        }
    }
}

/// One goal a data-entry reminder is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderGoal {
    /// The goal's number in the plan (1-based).
    pub n: usize,
    /// The goal's aim as the group wrote it (shortened; never in a subject).
    pub aim: String,
    /// The latest period the member recorded a point for.
    pub last: crate::domain::measure::PeriodId,
    /// Whole periods since then without a point from the member.
    pub missed: u32,
    /// The goal's page (`…/api/me/goals/{id}`).
    pub url: String,
}

/// At most this many characters of a goal's aim go into a reminder.
const AIM_IN_REMINDER: usize = 120;

fn shortened(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(max).collect::<String>().trim_end())
    }
}

/// To a member: goals they record data for have had no point from them
/// for a while. Links to each goal's page (they sign in as usual: no
/// session is in the email) and the opt-out link; fixed subject.
pub fn reminder(to: &Recipient, goals: &[ReminderGoal], site: &str, opt_out: &str) -> OutgoingMail {
    let measures = format!("{site}/api/me/measures");
    let (subject, body) = match to.language {
        Language::En => {
            let list: String = goals
                .iter()
                .map(|g| {
                    let periods = if g.missed == 1 { "1 period".to_string() } else { format!("{} periods", g.missed) };
                    format!(
                        "  Goal {n}: {aim}\n  Your latest data point: {last}, then {periods} without one.\n  Record it on the goal's page: {url}\n\n",
                        n = g.n,
                        aim = shortened(&g.aim, AIM_IN_REMINDER),
                        last = g.last.label(Language::En),
                        url = g.url
                    )
                })
                .collect();
            (
                "Time to record your QI measures",
                format!(
                    "Hello {name},\n\nYour QI Group measures the goals of its plan over time, and you have recorded data for these goals. You have not recorded a data point for them for a while:\n\n{list}Recording a point takes a minute: the period and your numbers. The run chart can only tell a real change from chance with regular points. Record counts only, never patient details.\n\nIf the goal's page asks you to sign in, open the personal link from your latest QI Groups email, then come back to the link above.\n\nWe send at most one reminder a period. To stop these reminders, open this link and press the button on the page it opens:\n{opt_out}\nYou can turn reminders back on from your Measures page: {measures}\n{SIGN_EN}",
                    name = to.name
                ),
            )
        }
        Language::Fr => {
            let list: String = goals
                .iter()
                .map(|g| {
                    let periods = if g.missed == 1 { "1 période".to_string() } else { format!("{} périodes", g.missed) };
                    format!(
                        "  Objectif {n} : {aim}\n  Votre dernière donnée : {last}, puis {periods} sans donnée.\n  Inscrivez-la sur la page de l'objectif : {url}\n\n",
                        n = g.n,
                        aim = shortened(&g.aim, AIM_IN_REMINDER),
                        last = g.last.label(Language::Fr),
                        url = g.url
                    )
                })
                .collect();
            (
                "Il est temps d'inscrire vos données d'amélioration de la qualité",
                format!(
                    "Bonjour {name},\n\nVotre groupe mesure les objectifs de son plan au fil du temps, et vous avez inscrit des données pour ces objectifs. Vous n'en avez pas inscrit depuis un moment :\n\n{list}Inscrire une donnée prend une minute : la période et vos chiffres. Le graphique de séquence ne distingue un vrai changement du hasard qu'avec des données régulières. N'inscrivez que des comptes, jamais de renseignements sur des patients.\n\nSi la page de l'objectif vous demande de vous connecter, ouvrez le lien personnel de votre dernier courriel de QI Groups, puis revenez au lien ci-dessus.\n\nNous envoyons au plus un rappel par période. Pour ne plus recevoir ces rappels, ouvrez ce lien et appuyez sur le bouton de la page qu'il ouvre :\n{opt_out}\nVous pouvez réactiver les rappels sur votre page Mesures : {measures}\n{SIGN_FR}",
                    name = to.name
                ),
            )
        }
    };
    // No role: the dev server prints no link for it; the outbox lists the opt-out link.
    OutgoingMail {
        to_name: to.name.clone(),
        to: to.email.clone(),
        subject: subject.to_string(),
        body,
        link: Some(opt_out.to_string()),
        role: None,
    }
}

/// An invitation to Dr. Zoë O'Neil in `lang`, with a personal link: what the
/// transports' tests send.
#[cfg(test)]
pub(crate) fn sample_invitation(lang: Language) -> OutgoingMail {
    let to = Recipient {
        name: PersonName::parse("Dr. Zoë O'Neil").unwrap_or_else(|e| panic!("{e}")),
        email: Email::parse("zoe@example.org").unwrap_or_else(|e| panic!("{e}")),
        language: lang,
        role: Role::Peer,
    };
    let lapses = DateTime::parse_from_rfc3339("2026-06-15T16:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
    invitation(&to, "Dr. Lead", "Équipe \"Nord\"", "http://127.0.0.1:8080/api/access?code=abc.1.xyz", lapses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(lang: Language) -> Recipient {
        Recipient {
            name: PersonName::parse("Dr Ada").unwrap(),
            email: Email::parse("ada@example.org").unwrap(),
            language: lang,
            role: Role::Lead,
        }
    }

    fn sample_goal(aim: &str) -> ReminderGoal {
        ReminderGoal {
            n: 2,
            aim: aim.to_string(),
            last: crate::domain::measure::PeriodId::parse("2026-01").unwrap(),
            missed: 2,
            url: "https://qi.example/api/me/goals/7".into(),
        }
    }

    #[test]
    fn a_reminder_names_each_goal_and_its_links_in_the_members_language() {
        let long = "Raise the share of charts with allergy status recorded ".repeat(5);
        let m =
            reminder(&to(Language::En), &[sample_goal(&long)], "https://qi.example", "https://qi.example/api/reminders/opt-out?token=t");
        assert_eq!(m.subject, "Time to record your QI measures");
        assert!(m.body.starts_with("Hello Dr Ada,"), "{}", m.body);
        assert!(m.body.contains("Goal 2: Raise the share"), "{}", m.body);
        assert!(m.body.contains("Your latest data point: January 2026, then 2 periods without one."), "{}", m.body);
        assert!(m.body.contains("https://qi.example/api/me/goals/7"), "{}", m.body);
        assert!(m.body.contains("https://qi.example/api/reminders/opt-out?token=t"), "{}", m.body);
        assert!(m.body.contains("https://qi.example/api/me/measures"), "{}", m.body);
        assert!(m.body.contains('…') && !m.body.contains(&long), "a long aim is shortened");
        assert!(!m.body.contains("/api/access"), "no sign-in link or session in a reminder");
        assert_eq!((m.link.as_deref(), m.role), (Some("https://qi.example/api/reminders/opt-out?token=t"), None));
        let fr = reminder(&to(Language::Fr), &[sample_goal("Dépistage")], "https://qi.example", "https://qi.example/o");
        assert!(
            fr.body.starts_with("Bonjour") && fr.body.contains("janvier 2026") && fr.body.contains("Objectif 2 : Dépistage"),
            "{}",
            fr.body
        );
    }

    #[test]
    fn dates_read_naturally() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(long_date(t, Language::En), "1 December 2026");
        assert_eq!(long_date(t, Language::Fr), "1er décembre 2026");
    }

    #[test]
    fn subjects_never_carry_typed_text() {
        let t = Utc::now();
        let evil = "Win a prize at evil.example";
        for lang in [Language::En, Language::Fr] {
            let r = to(lang);
            for m in [
                proposal(&r, evil, evil, 2, "https://x/l", t),
                invitation(&r, evil, evil, "https://x/l", t),
                new_link(&r, "https://x/l"),
                change(&r, evil, Change::Left { peer: evil }, "https://x"),
                change(&r, evil, Change::Dissolved, "https://x"),
                reminder(&r, &[sample_goal(evil)], "https://x", "https://x/o"),
            ] {
                assert!(!m.subject.contains("evil"), "{}", m.subject);
            }
        }
        assert!(proposal(&to(Language::En), "G", "S", 2, "https://x/l", t).body.contains("ignore this email"));
    }
}
