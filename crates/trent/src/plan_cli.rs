//! `trent plan`: forecast a workload file against AWS KMS's request quotas
//! (trent-plan does the work; this module reads the files and prints).
//!
//! ```sh
//! trent plan workload.toml [--profile 2020] [--region us-east-1] [--config trent.toml] [--output json]
//! ```
//!
//! `--config` takes the `[quotas]` of a Trent server config (profile and
//! overrides), so a forecast can be checked against a server enforcing the same
//! limits. Exit codes: 0 no quota throttles; 1 bad input; 3 some quota throttles.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use trent_core::quota::{Profile, QuotaConfig};

/// The exit codes, for `trent plan --help`.
pub const EXIT_CODES_HELP: &str =
    "Exit codes: 0 no quota throttles; 1 bad input (the message names the line and field); 3 some quota throttles.";

/// Exit code when the forecast throttles.
pub const EXIT_THROTTLES: u8 = 3;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanOutput {
    /// A Markdown table and the remedies.
    Text,
    /// The forecast as JSON.
    Json,
}

/// Which quota profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanProfile {
    /// Today's defaults.
    Current,
    /// The 2020 defaults.
    #[value(name = "2020")]
    Y2020,
}

/// `trent plan`: will this workload be throttled, and what fixes it?
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The workload file (TOML; see docs/planning.md).
    workload: PathBuf,
    /// Quota profile [default: the --config's, else current].
    #[arg(long, value_enum)]
    profile: Option<PlanProfile>,
    /// Region of sources that name none.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// A Trent server config whose [quotas] (profile, overrides) set the limits.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = PlanOutput::Text)]
    output: PlanOutput,
}

/// Runs `trent plan`; `Ok(true)` when some quota throttles.
pub fn run(args: &PlanArgs) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.workload)
        .with_context(|| format!("reading the workload file {}", args.workload.display()))?;
    if !trent_plan::regions::is_known(&args.region) {
        anyhow::bail!("--region: unknown region {:?}", args.region);
    }
    let workload =
        trent_plan::Workload::parse(&text, &args.region).with_context(|| format!("{}", args.workload.display()))?;
    let mut quotas = match &args.config {
        Some(path) => {
            let t = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            trent_server::config::Config::from_toml(&t).with_context(|| format!("{}", path.display()))?.quotas
        }
        None => QuotaConfig::default(),
    };
    match args.profile {
        Some(PlanProfile::Current) => quotas.profile = Profile::Current,
        Some(PlanProfile::Y2020) => quotas.profile = Profile::Y2020,
        None => {}
    }
    let forecast = trent_plan::forecast(&workload, &quotas)?;
    match args.output {
        PlanOutput::Text => print!("{}", trent_plan::render::text(&forecast)),
        PlanOutput::Json => println!("{}", serde_json::to_string_pretty(&forecast)?),
    }
    Ok(forecast.total_throttled > 0.0)
}
