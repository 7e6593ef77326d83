//! `qi build`: content/ → a complete static site in public/.
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write the site into (replaced only when the build succeeds).
    #[arg(long, short, default_value = "public")]
    pub output: PathBuf,
    /// The site's public address, overriding `base_url` in site.toml.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
    /// The site root (holds site.toml, content/ and site/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = qi_site::Options {
        root: args.root.clone(),
        base_url: args.base_url,
        drafts: args.drafts,
        check: false,
        progress: std::io::stderr().is_terminal(),
    };
    let output = if args.output.is_absolute() { args.output } else { std::env::current_dir()?.join(args.output) };
    match qi_site::build_to_dir(&opts, &output) {
        Ok(summary) => {
            eprintln!("Built {summary} into {}", output.display());
            Ok(())
        }
        Err(problems) => {
            for p in problems.iter() {
                eprintln!("{p}");
            }
            anyhow::bail!(
                "the build failed with {} problem{}; nothing was written",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            )
        }
    }
}
