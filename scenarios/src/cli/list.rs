//! `shakedown list`.

/// Arguments of `shakedown list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to list.
    #[arg(value_enum)]
    pub what: What,
}

/// The things `shakedown list` can list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Cluster models.
    Models,
    /// Shipped scenario files.
    Scenarios,
    /// Every fault the nemesis knows, with its parameters.
    Faults,
}

/// Runs `shakedown list` and returns the exit code.
pub fn run(args: Args) -> u8 {
    match args.what {
        What::Faults => {
            print!("{}", shakedown_nemesis::render_catalog(&[]));
            super::EXIT_VALID
        }
        What::Models => super::bad_input("`shakedown list models` is not built yet"),
        What::Scenarios => super::bad_input("`shakedown list scenarios` is not built yet"),
    }
}
