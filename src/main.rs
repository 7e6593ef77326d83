//! `qi`: build, check and serve the QI Groups site; administer the program data.
mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "qi", version, about = "QI Groups: site generator, local server and admin tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the static site from content/ into public/.
    Build(cmd::build::Args),
    /// Build the site and serve it with working forms on http://127.0.0.1:8080.
    Serve(cmd::serve::Args),
    /// Validate everything the build does without writing output.
    Check(cmd::check::Args),
    /// Program administration: invitations, exports, table creation.
    Admin(cmd::admin::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => cmd::build::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Admin(args) => cmd::admin::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
