use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use lockbench::cli::Cli;
use lockbench::commands::{self, exit};
use lockbench::config::ConfigError;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE))
                }
                _ => {
                    eprintln!("{}", one_line(&e.render().to_string()));
                    ExitCode::from(exit::USAGE)
                }
            };
        }
    };
    match commands::execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::from(exit::ERROR)
            }
        }
    }
}

/// clap's message up to its first blank line, folded onto one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}
