//! `trent load`: a load generator for any KMS endpoint (Trent or AWS) that shows what
//! request quotas do to an application and what client strategies do about it.
//!
//! A run: resolve identities (accounts × regions) and endpoints, prepare keys and request
//! bodies, discover the quotas, then offer the load (open or closed loop) from several
//! simulated clients with a retry strategy, and report totals, latency, admitted rate against
//! the quota, and a per-second timeline. See docs/load.md.
//!
//! The `trent` binary flattens [`LoadArgs`] into its `trent load` subcommand and calls
//! [`run`]; everything else is this crate's own.

#![warn(missing_docs)]

mod args;
mod chart;
mod client;
mod conn;
mod cpu;
mod engine;
mod envelope;
mod error;
mod identity;
mod ops;
mod peak;
mod progress;
mod raw_http_client;
mod report;
mod retry;
mod rng;
mod run;
mod s3_scenario;
mod scenario;
mod sdk;
mod setup;
mod stats;
mod units;

pub use args::{Arrivals, LoadArgs, Output, ProgressMode, Scenario};

pub use error::{BoxError, Error, Result, exit_code};
pub use retry::RetryMode;

/// Runs `trent load` as asked, one run or a scenario, and prints its report on stdout (the
/// chart, if asked, to its file); the error says which kind of failure stopped it.
pub async fn run(args: LoadArgs) -> Result<()> {
    if let Some(args::Scenario::Seed) = args.scenario {
        return scenario::seed(&args).await;
    }
    if let Some(args::Scenario::S3SseKms) = args.scenario {
        return s3_scenario::run(&args).await;
    }
    let report = run::run_once(&args, "run", 0).await?;
    match args.output {
        Output::Text => print!("{}", report::text(&report)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::output("rendering the JSON report", e))?
        ),
    }
    if let Some(path) = &args.chart {
        chart::draw(path, &[&report])?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}
