//! `redis-failover`: the Shakedown command line over the failover store.

fn main() -> std::process::ExitCode {
    shakedown::cli::main_with(shakedown_redis_failover::registry())
}
