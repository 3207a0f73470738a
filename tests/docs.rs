//! The README documents what the binary does: every option of every command
//! and every key of the dashboard's help appear in it.

use clap::CommandFactory;
use poetry_dash::cli::Cli;

const README: &str = include_str!("../README.md");

#[test]
fn every_option_of_every_command_is_in_the_readme() {
    let top = Cli::command();
    let mut missing = Vec::new();
    let commands = std::iter::once(&top).chain(top.get_subcommands());
    for command in commands {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long()
                && !matches!(long, "help" | "version")
                && !README.contains(&format!("--{long}"))
            {
                missing.push(format!("{} --{long}", command.get_name()));
            }
        }
        if command.get_name() != "poetry-dash"
            && !README.contains(&format!("poetry-dash {}", command.get_name()))
        {
            missing.push(format!("the {} command", command.get_name()));
        }
    }
    assert!(missing.is_empty(), "not in the README: {missing:?}");
}

#[test]
fn every_dashboard_key_is_in_the_readme() {
    for (keys, _) in poetry_dash::ui::help::KEYS {
        for key in keys.split_whitespace().filter(|k| k.chars().count() <= 2) {
            assert!(
                README.contains(&format!("`{key}`")),
                "key {key} is not in the README"
            );
        }
    }
}
