//! `qi admin`: program staff's tools, against the embedded store (default) or
//! DynamoDB.
//!
//! - `qi admin invitations import FILE.csv` — all rows checked first; any bad
//!   row is reported with its line number and nothing is imported.
//! - `qi admin invitations list` — the invitation list as CSV.
//! - `qi admin export [--what groups|members|coaching|audit|measures|measures-summary]`
//!   — CSV on stdout (`measures`: one row per goal with a measure
//!   definition, its data and run-chart signal; `measures-summary`: the
//!   program's counts; neither has names, addresses, CPSO numbers, plan text
//!   or notes).
//! - `qi admin reminders run [--dry-run]` — the data-entry reminder job, as
//!   the scheduled Lambda function runs it (`--dry-run`: counts per group and
//!   goal of what would be sent; nothing written or sent).
//! - `qi admin table create` — create the DynamoDB table from the shared schema.
//! - `qi admin members reissue|email|remove --group ID --cpso N` and
//!   `qi admin groups dissolve --group ID` — staff's corrections, each one
//!   atomic write recorded in the group's audit trail (as "Program staff").
//!   Their emails are queued in the same write (the transactional outbox):
//!   with the embedded store they are then delivered at once to the local
//!   outbox (`DIR/outbox/`); with DynamoDB the mailer function sends them.
//! - `qi admin outbox list` — every queued email's delivery record (id,
//!   kind, state, attempts, last error; no names, addresses or text).
//! - `qi admin outbox retry ID` — queue a dead email again (after fixing
//!   what stopped it, e.g. leaving the SES sandbox).
//! - `qi admin outbox deliverable ADDRESS` — forget that SES reported the
//!   address as undeliverable (staff checked it works again).
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// The embedded SQLite file (what `qi serve` uses).
    Sqlite,
    /// DynamoDB (AWS, or a local endpoint with --endpoint-url). Needs a qi
    /// built with `--features dynamodb`.
    Dynamodb,
}

/// What a qi built without the `dynamodb` feature says to `--store dynamodb`.
#[cfg(all(feature = "api", not(feature = "dynamodb")))]
const NO_DYNAMODB: &str = "this qi was built without DynamoDB support: build it with \
`cargo build --release --features dynamodb` (or `cargo run --release --features dynamodb -- admin ...`)";

#[derive(clap::Args)]
pub struct Args {
    /// Which store to work on.
    #[arg(long, value_enum, default_value = "sqlite", global = true)]
    pub store: StoreKind,
    /// The local data directory (as `qi serve --data-dir`): the SQLite store is DIR/qi.sqlite3.
    #[arg(long, default_value = ".qi", global = true)]
    pub data_dir: PathBuf,
    /// The SQLite file, if not DIR/qi.sqlite3 (with --store sqlite).
    #[arg(long, global = true)]
    pub sqlite: Option<PathBuf>,
    /// DynamoDB table name (with --store dynamodb).
    #[arg(long, env = "QI_TABLE_NAME", global = true)]
    pub table: Option<String>,
    /// DynamoDB endpoint, e.g. http://127.0.0.1:5000 for moto_server or DynamoDB Local.
    #[arg(long, env = "AWS_ENDPOINT_URL_DYNAMODB", global = true)]
    pub endpoint_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// The invitation list (who may lead a group).
    Invitations {
        #[command(subcommand)]
        command: InvitationsCommand,
    },
    /// Export program data as CSV on stdout.
    Export {
        /// groups: one row per group; members: one row per member with
        /// activity dates and credits; coaching: coaching requests; audit:
        /// every group's history; measures: one row per measured goal;
        /// measures-summary: the program's counts.
        #[arg(long, value_enum, default_value = "groups")]
        what: ExportWhat,
    },
    /// The DynamoDB table.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
    /// Correct one member of a group.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
    /// Whole groups.
    Groups {
        #[command(subcommand)]
        command: GroupsCommand,
    },
    /// Data-entry reminders.
    Reminders {
        #[command(subcommand)]
        command: RemindersCommand,
    },
    /// The queued emails (the transactional outbox).
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
}

#[derive(clap::Subcommand)]
pub enum OutboxCommand {
    /// Every queued email's record as CSV: id, kind, queued_at, state,
    /// attempts, next_attempt_at, last_error (never a name, address or text).
    List,
    /// Queue a dead email again, under a new id (due at once).
    Retry {
        /// The dead email's id (from `qi admin outbox list` or the dead-letter queue).
        id: String,
    },
    /// Forget that SES could not deliver to ADDRESS (after checking with
    /// the member that it works again): email to it is sent again.
    Deliverable {
        /// The address (any case).
        address: String,
    },
}

#[derive(clap::Subcommand)]
pub enum RemindersCommand {
    /// Email every member due a reminder (a goal they record for has had no
    /// data point from them for --after-periods whole periods), at most once
    /// a period each, as the scheduled job does.
    Run {
        /// List what would be sent (counts per group id and goal id), writing and sending nothing.
        #[arg(long)]
        dry_run: bool,
        /// Whole periods without a point before a reminder (1 to 52; default: QI_REMINDER_AFTER_PERIODS, else 2).
        #[arg(long)]
        after_periods: Option<String>,
        /// Where the site is, for the links in the emails (default: QI_PUBLIC_BASE_URL, else http://127.0.0.1:8080).
        #[arg(long, env = "QI_PUBLIC_BASE_URL")]
        site_url: Option<String>,
    },
}

/// Which member: the group's id (as in `qi admin export`) and their CPSO number.
#[derive(clap::Args, Clone)]
pub struct Which {
    #[arg(long)]
    pub group: String,
    #[arg(long)]
    pub cpso: String,
    /// Where the site is, for the links in emails (default: QI_PUBLIC_BASE_URL, else http://127.0.0.1:8080).
    #[arg(long, env = "QI_PUBLIC_BASE_URL")]
    pub site_url: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum MembersCommand {
    /// Email the member a new personal link; the old one and every session end.
    Reissue(Which),
    /// Correct the member's email address (then reissue their link if they need one).
    Email {
        #[command(flatten)]
        which: Which,
        /// The corrected address.
        #[arg(long = "to")]
        to: String,
    },
    /// Remove a peer from the group (their one-open-group lock is released).
    Remove(Which),
}

#[derive(clap::Subcommand)]
pub enum GroupsCommand {
    /// Dissolve a group before its plan is submitted (every lock is released; the members are emailed).
    Dissolve {
        #[arg(long)]
        group: String,
        #[arg(long, env = "QI_PUBLIC_BASE_URL")]
        site_url: Option<String>,
    },
}

#[derive(clap::Subcommand)]
pub enum InvitationsCommand {
    /// Import a CSV file with the header `cpso,name,email,cycle` (name, email
    /// and cycle optional; an empty cycle means --cycle).
    Import {
        file: PathBuf,
        /// Cycle for rows without one (default: QI_CYCLE, else the current year).
        #[arg(long)]
        cycle: Option<String>,
        /// Check the file and report, without importing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the invitation list as CSV.
    List {
        /// Only this cycle.
        #[arg(long)]
        cycle: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportWhat {
    Groups,
    Members,
    Coaching,
    /// Every group's history: who proposed, confirmed, accepted, checked off, submitted…
    Audit,
    /// One row per goal with a measure definition: its data and run-chart signal (no personal data).
    Measures,
    /// The program's measurement in counts: groups, goals with a measure, with data, with enough data, signals.
    MeasuresSummary,
}

#[derive(clap::Subcommand)]
pub enum TableCommand {
    /// Create the table from functions/src/store/schema.rs (the definition
    /// infra/template.yaml is checked against). Needs --store dynamodb.
    Create,
}

#[cfg(not(feature = "api"))]
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("this qi was built without the `api` feature, which `qi admin` needs")
}

#[cfg(feature = "api")]
pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(real::run(args))
}

#[cfg(feature = "api")]
mod real {
    use std::io::Write as _;
    use std::sync::Arc;

    use anyhow::{anyhow, bail, Context as _};
    use qi_functions::app::reminders::{self, ReminderSettings};
    use qi_functions::app::{access, membership, App, Config};
    use qi_functions::domain::{Cpso, Credits, Cycle, Email, Group, GroupId, InvitationList};
    use qi_functions::export;
    use qi_functions::mail::{Mailer, NoMailer};
    use qi_functions::store::Store;

    use super::*;

    #[cfg(feature = "dynamodb")]
    async fn dynamo_client(args: &Args) -> qi_functions::aws_sdk_dynamodb::Client {
        let mut sdk = qi_functions::store::dynamo::sdk_config_from_env().await;
        if let Some(url) = &args.endpoint_url {
            sdk = sdk.into_builder().endpoint_url(url).build();
        }
        qi_functions::aws_sdk_dynamodb::Client::new(&sdk)
    }

    #[cfg(feature = "dynamodb")]
    fn table(args: &Args) -> anyhow::Result<String> {
        args.table.clone().ok_or_else(|| anyhow!("name the DynamoDB table with --table or QI_TABLE_NAME"))
    }

    async fn open_store(args: &Args) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match args.store {
            StoreKind::Sqlite => {
                let path = args.sqlite.clone().unwrap_or_else(|| args.data_dir.join("qi.sqlite3"));
                Arc::new(qi_functions::store::sqlite::SqliteStore::open(&path).with_context(|| format!("opening {}", path.display()))?)
            }
            #[cfg(feature = "dynamodb")]
            StoreKind::Dynamodb => {
                let client = dynamo_client(args).await;
                Arc::new(qi_functions::store::dynamo::DynamoStore::new(client, table(args)?))
            }
            #[cfg(not(feature = "dynamodb"))]
            StoreKind::Dynamodb => bail!(NO_DYNAMODB),
        })
    }

    fn cycle(given: Option<&str>) -> anyhow::Result<Cycle> {
        match given {
            Some(c) => Cycle::parse(c).map_err(|e| anyhow!("--cycle: {e}")),
            None => Ok(qi_functions::env::cycle_from_env()?),
        }
    }

    /// Who delivers the emails staff's changes queue: with the embedded
    /// store, this command, to the local outbox ([`deliver_queued`]); with
    /// DynamoDB the mailer function (fed by the table's stream), so this
    /// command sends nothing itself.
    async fn mailer(args: &Args) -> anyhow::Result<Arc<dyn Mailer>> {
        match args.store {
            StoreKind::Sqlite => {
                let dir = args.data_dir.join("outbox");
                let m = qi_functions::mail::OutboxMailer::new(&dir, "QI Groups (local) <no-reply@qi-groups.invalid>")
                    .with_context(|| format!("opening the outbox {}", dir.display()))?;
                Ok(Arc::new(m))
            }
            StoreKind::Dynamodb => Ok(Arc::new(NoMailer)),
        }
    }

    /// Deliver what a staff change queued (embedded store only; see [`mailer`]).
    async fn deliver_queued(app: &App, args: &Args) -> anyhow::Result<()> {
        if args.store == StoreKind::Sqlite {
            let done = app.deliverer().drain().await.context("delivering the queued emails")?;
            let sent = done.iter().filter(|(_, a)| *a == qi_functions::mail::deliver::Attempt::Sent).count();
            println!("{sent} email(s) written to {}", args.data_dir.join("outbox").display());
        } else {
            println!("the emails are queued in the table; the mailer function sends them");
        }
        Ok(())
    }

    async fn staff_app(args: &Args, site_url: Option<&str>) -> anyhow::Result<App> {
        let store = open_store(args).await?;
        let config = Config::new(site_url.unwrap_or("http://127.0.0.1:8080"), qi_functions::env::cycle_from_env()?);
        Ok(App::new(store, mailer(args).await?, config))
    }

    /// The group `id` as it stands, and the slot of member `cpso` in it.
    async fn member_of(app: &App, id: &str, cpso: Option<&str>) -> anyhow::Result<(Group, u8)> {
        let id = GroupId::parse(id).map_err(|_| anyhow!("--group: not a group id"))?;
        let g = app.store.get_group(&id).await.context("reading the group")?;
        let g = g.as_of(app.clock.now()).ok_or_else(|| anyhow!("the group's proposal has lapsed"))?;
        let slot = match cpso {
            None => 0,
            Some(c) => {
                let c = Cpso::parse(c).map_err(|e| anyhow!("--cpso: {e}"))?;
                g.member_by_cpso(&c).map(|m| m.slot).ok_or_else(|| anyhow!("CPSO number {c} is not in this group"))?
            }
        };
        Ok((g, slot))
    }

    pub async fn run(args: Args) -> anyhow::Result<()> {
        match &args.command {
            Command::Members { command } => {
                let which = match command {
                    MembersCommand::Reissue(w) | MembersCommand::Remove(w) | MembersCommand::Email { which: w, .. } => w,
                };
                let app = staff_app(&args, which.site_url.as_deref()).await?;
                let (g, slot) = member_of(&app, &which.group, Some(&which.cpso)).await?;
                match command {
                    MembersCommand::Reissue(_) => {
                        access::reissue_link(&app, g, slot).await.map_err(|e| anyhow!("not reissued: {e}"))?;
                        println!("a new link was queued for the member's address on file; the old link no longer works");
                    }
                    MembersCommand::Email { to, .. } => {
                        let email = Email::parse(to).map_err(|e| anyhow!("--to: {e}"))?;
                        membership::correct_email_as_staff(&app, g, slot, email).await.map_err(|e| anyhow!("not corrected: {e}"))?;
                        println!("email address corrected (recorded in the group's history); a new link was queued for the corrected address, and the old link no longer works");
                    }
                    MembersCommand::Remove(_) => {
                        membership::remove_as_staff(&app, g, slot).await.map_err(|e| anyhow!("not removed: {e}"))?;
                        println!("member removed (recorded in the group's history); their email was queued");
                    }
                }
                deliver_queued(&app, &args).await?;
            }
            Command::Reminders { command: RemindersCommand::Run { dry_run, after_periods, site_url } } => {
                let settings = match after_periods {
                    Some(v) => ReminderSettings {
                        after_periods: qi_functions::env::parse_after_periods(v)
                            .ok_or_else(|| anyhow!("--after-periods: a whole number of periods from 1 to 52"))?,
                    },
                    None => qi_functions::env::reminder_settings_from_env()?,
                };
                let app = if *dry_run {
                    // Nothing is sent: no mailer is opened (SES needs none configured).
                    let store = open_store(&args).await?;
                    let config = Config::new(site_url.as_deref().unwrap_or("http://127.0.0.1:8080"), qi_functions::env::cycle_from_env()?);
                    App::new(store, Arc::new(NoMailer), config)
                } else {
                    staff_app(&args, site_url.as_deref()).await?
                };
                let r = reminders::run(&app, &settings, *dry_run).await?;
                if *dry_run {
                    println!("dry run: {} member(s) would be reminded, in {} group(s) read; nothing was written or sent", r.due, r.groups);
                    if !r.by_goal.is_empty() {
                        println!("group_id,goal_id,members");
                        for ((group, goal), n) in &r.by_goal {
                            println!("{group},{goal},{n}");
                        }
                    }
                } else {
                    println!(
                        "reminders: {} recorded and queued for sending; {} skipped (reminded already this period, or turned off, since the groups were read); {} not recorded (store failed)",
                        r.sent, r.skipped, r.store_failed
                    );
                    deliver_queued(&app, &args).await?;
                    if r.store_failed > 0 {
                        bail!("{} reminder(s) could not be recorded: run again (nobody is reminded twice)", r.store_failed);
                    }
                }
            }
            Command::Groups { command: GroupsCommand::Dissolve { group, site_url } } => {
                let app = staff_app(&args, site_url.as_deref()).await?;
                let (g, _) = member_of(&app, group, None).await?;
                membership::dissolve_as_staff(&app, g).await.map_err(|e| anyhow!("not dissolved: {e}"))?;
                println!("group dissolved (recorded in its history); its members' emails were queued");
                deliver_queued(&app, &args).await?;
            }
            Command::Outbox { command: OutboxCommand::List } => {
                let app = staff_app(&args, None).await?;
                let records = app.store.list_mail(app.clock.now()).await?;
                std::io::stdout().write_all(export::outbox_csv(&records).as_bytes())?;
            }
            Command::Outbox { command: OutboxCommand::Deliverable { address } } => {
                let email = Email::parse(address).map_err(|e| anyhow!("ADDRESS: {e}"))?;
                let store = open_store(&args).await?;
                if store.clear_undeliverable(&email).await? {
                    println!("the address is no longer marked undeliverable; emails to it are sent again");
                } else {
                    println!("the address was not marked undeliverable: nothing changed");
                }
            }
            Command::Outbox { command: OutboxCommand::Retry { id } } => {
                let app = staff_app(&args, None).await?;
                if !qi_functions::domain::QueuedMail::valid_id(id) {
                    bail!("{id}: not an email id (32 lowercase hex digits, as `qi admin outbox list` shows)");
                }
                let new_id = qi_functions::domain::random_hex(app.random.as_ref(), 16)?;
                if !app.store.requeue_mail(id, &new_id, app.clock.now()).await? {
                    bail!("{id}: no dead email with this id (only a dead email can be queued again; see `qi admin outbox list`)");
                }
                println!("queued again as {new_id}");
                deliver_queued(&app, &args).await?;
            }
            Command::Invitations { command: InvitationsCommand::Import { file, cycle: c, dry_run } } => {
                let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
                let default_cycle = cycle(c.as_deref())?;
                let list = match InvitationList::parse_csv(&text, &default_cycle) {
                    Ok(l) => l,
                    Err(rows) => {
                        for r in &rows {
                            eprintln!("{}:{}: {}", file.display(), r.line, r.message);
                        }
                        bail!("{} bad row(s) in {}; nothing was imported", rows.len(), file.display());
                    }
                };
                if *dry_run {
                    println!("{}: {} invitation(s), all valid (dry run: nothing imported)", file.display(), list.len());
                    return Ok(());
                }
                let store = open_store(&args).await?;
                let n = store.import_invitations(&list).await.context("importing")?;
                println!("imported {n} invitation(s) from {}", file.display());
            }
            Command::Invitations { command: InvitationsCommand::List { cycle: c } } => {
                let store = open_store(&args).await?;
                let c = c.as_deref().map(Cycle::parse).transpose().map_err(|e| anyhow!("--cycle: {e}"))?;
                let list = store.list_invitations(c.as_ref()).await?;
                std::io::stdout().write_all(export::invitations_csv(&list).as_bytes())?;
            }
            Command::Export { what } => {
                let store = open_store(&args).await?;
                let groups = store.list_groups().await?;
                let csv = match what {
                    ExportWhat::Groups => export::groups_csv(&groups),
                    ExportWhat::Members => {
                        let emails: Vec<Email> = groups.iter().flat_map(|g| g.members.iter().map(|m| m.member.email.clone())).collect();
                        let mut undeliverable = Vec::new();
                        for chunk in emails.chunks(25) {
                            undeliverable.extend(store.undeliverable(chunk).await?);
                        }
                        export::members_csv(&groups, &Credits::embedded(), &undeliverable)
                    }
                    ExportWhat::Audit => export::audit_csv(&groups),
                    ExportWhat::Measures => export::measures_csv(&groups),
                    ExportWhat::MeasuresSummary => export::measures_summary_csv(&groups),
                    ExportWhat::Coaching => {
                        let reqs = store.list_coaching_requests().await?;
                        export::coaching_csv(&reqs, &groups)
                    }
                };
                std::io::stdout().write_all(csv.as_bytes())?;
            }
            Command::Table { command: TableCommand::Create } => {
                if args.store != StoreKind::Dynamodb {
                    bail!("`qi admin table create` creates the DynamoDB table: add --store dynamodb (and --table NAME)");
                }
                #[cfg(not(feature = "dynamodb"))]
                bail!(NO_DYNAMODB);
                #[cfg(feature = "dynamodb")]
                {
                    let client = dynamo_client(&args).await;
                    let name = table(&args)?;
                    qi_functions::store::schema::create_table(&client, &name, Default::default())
                        .await
                        .with_context(|| format!("creating table {name}"))?;
                    println!("created table {name}");
                }
            }
        }
        Ok(())
    }
}
