//! `trent faults`: add, list and clear fault injection rules on a running
//! server through its `/_trent/faults` admin routes (loopback only; the HTTP
//! exchange is `trent quotas`'s, `crates/trent/src/quotas_cli.rs`).
//!
//! ```sh
//! trent faults add --operation Encrypt --error KMSInternalException --probability 0.3
//! trent faults add --key-id 1234abcd-… --custom-key-store-disconnected --for 30
//! trent faults list [--json]
//! trent faults clear [ID]
//! ```
//!
//! Exit codes as `trent quotas`: 2 the server refused the rule (the message
//! names the field), 3 no rule has that id, 5 the server could not be reached.

use anyhow::Context;
use clap::{Args, Subcommand};
use trent_server::faults::FaultRule;

use crate::quotas_cli::{Endpoint, exit_on_failure};

/// `trent faults`: fault injection rules on a running server.
#[derive(Debug, Args)]
pub struct FaultsArgs {
    /// The running server (its admin routes answer loopback only).
    #[arg(long, global = true, default_value = "http://127.0.0.1:4599")]
    endpoint: String,
    #[command(subcommand)]
    command: FaultsCommand,
}

#[derive(Debug, Subcommand)]
enum FaultsCommand {
    /// Add a rule; matching requests are delayed or fail as AWS fails them.
    Add(Box<AddArgs>),
    /// List the rules with how often each matched and acted.
    List {
        /// Print the server's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove one rule (by id) or all of them.
    Clear {
        /// The rule's id (`trent faults list`); without it, every rule.
        id: Option<u64>,
    },
}

/// The rule's fields (see `[[faults]]` in docs/faults.md).
#[derive(Debug, Args)]
struct AddArgs {
    /// Label in metrics and logs.
    #[arg(long)]
    name: Option<String>,
    /// Operations matched (repeat or comma-separate); none: all.
    #[arg(long = "operation", value_delimiter = ',')]
    operations: Vec<String>,
    /// The request's KeyId (id, ARN or alias).
    #[arg(long)]
    key_id: Option<String>,
    /// The calling account.
    #[arg(long)]
    account: Option<String>,
    /// The region signed for.
    #[arg(long)]
    region: Option<String>,
    /// Principal ARN or access key id of the caller.
    #[arg(long)]
    caller: Option<String>,
    /// Act with this probability (0–1).
    #[arg(long)]
    probability: Option<f64>,
    /// Act on every n-th match.
    #[arg(long)]
    every: Option<u64>,
    /// Seed of the probability draws.
    #[arg(long)]
    seed: Option<u64>,
    /// Start acting this many seconds from now.
    #[arg(long = "after")]
    after_seconds: Option<f64>,
    /// Act for this many seconds.
    #[arg(long = "for")]
    for_seconds: Option<f64>,
    /// Delay answers by this many milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Answer with this AWS error: KMSInternalException, DependencyTimeoutException,
    /// KeyUnavailableException, ThrottlingException, KMSInvalidStateException.
    #[arg(long)]
    error: Option<String>,
    /// The error's message [default: AWS's].
    #[arg(long)]
    message: Option<String>,
    /// Answer as for a key whose custom key store is disconnected.
    #[arg(long)]
    custom_key_store_disconnected: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    faults: Vec<View>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Added {
    fault: View,
}

/// `trent_server::faults::FaultView` as read back (the rule as JSON).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct View {
    id: u64,
    label: String,
    rule: serde_json::Value,
    matches: u64,
    injected: u64,
}

/// Runs `trent faults …`.
pub async fn run(args: FaultsArgs) -> anyhow::Result<()> {
    exit_on_failure(execute(args).await)
}

async fn execute(args: FaultsArgs) -> anyhow::Result<()> {
    let endpoint = Endpoint::parse(&args.endpoint)?;
    match args.command {
        FaultsCommand::Add(a) => {
            let rule = FaultRule {
                name: a.name,
                operations: a.operations,
                key_id: a.key_id,
                account: a.account,
                region: a.region,
                caller: a.caller,
                probability: a.probability,
                every: a.every,
                seed: a.seed,
                after_seconds: a.after_seconds,
                for_seconds: a.for_seconds,
                latency_ms: a.latency_ms,
                error: a.error,
                message: a.message,
                custom_key_store_disconnected: a.custom_key_store_disconnected,
            };
            let body = serde_json::to_vec(&rule)?;
            let answer = endpoint.call_with_body("POST", "/_trent/faults", &body).await?;
            let Added { fault } = serde_json::from_slice(&answer).context("reading the server's answer")?;
            println!("added fault rule {} ({}): {}", fault.id, fault.label, fault.rule);
        }
        FaultsCommand::List { json } => {
            let answer = endpoint.call_with_body("GET", "/_trent/faults", b"").await?;
            if json {
                println!("{}", String::from_utf8_lossy(&answer));
                return Ok(());
            }
            let Listed { faults } = serde_json::from_slice(&answer).context("reading the server's answer")?;
            if faults.is_empty() {
                println!("no fault rules");
            }
            for f in faults {
                println!("{}  {}  matched {}  injected {}  {}", f.id, f.label, f.matches, f.injected, f.rule);
            }
        }
        FaultsCommand::Clear { id } => {
            let path = id.map_or_else(|| "/_trent/faults".to_owned(), |id| format!("/_trent/faults/{id}"));
            let answer = endpoint.call_with_body("DELETE", &path, b"").await?;
            let v: serde_json::Value = serde_json::from_slice(&answer).context("reading the server's answer")?;
            println!("cleared {} fault rule(s)", v["Cleared"]);
        }
    }
    Ok(())
}
