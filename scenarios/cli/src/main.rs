//! `shakedown`: the command line over the built-in and example models.

fn main() -> std::process::ExitCode {
    shakedown::cli::main_with(shakedown_cli::registry())
}
