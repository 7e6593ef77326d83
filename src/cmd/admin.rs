//! `qi admin`: program staff's tools, against the embedded store (default) or
//! DynamoDB.
//!
//! - `qi admin invitations import FILE.csv` — all rows checked first; any bad
//!   row is reported with its line number and nothing is imported.
//! - `qi admin invitations list` — the invitation list as CSV.
//! - `qi admin export [--what groups|members|coaching]` — CSV on stdout.
//! - `qi admin table create` — create the DynamoDB table from the shared schema.
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
        /// activity dates and credits; coaching: coaching requests.
        #[arg(long, value_enum, default_value = "groups")]
        what: ExportWhat,
    },
    /// The DynamoDB table.
    Table {
        #[command(subcommand)]
        command: TableCommand,
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
    use qi_functions::domain::{Credits, Cycle, InvitationList};
    use qi_functions::export;
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

    pub async fn run(args: Args) -> anyhow::Result<()> {
        match &args.command {
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
                    ExportWhat::Members => export::members_csv(&groups, &Credits::embedded()),
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
