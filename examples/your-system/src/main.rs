//! `your-system`: the whole Shakedown command line (run, replay, shrink,
//! list, report, check, merge) over your own models.

fn main() -> std::process::ExitCode {
    shakedown::cli::main_with(your_system::registry())
}
