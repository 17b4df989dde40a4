//! `--scenario seed`: the comparison the seed documents make, measured. The same offered
//! load, above the quota, four times: no retries, exponential backoff, the SDK's adaptive
//! mode, and envelope encryption with a data key cache. Without `--endpoint` it starts an
//! in-process Trent server whose symmetric quota is `--seed-quota`.

use std::fmt::Write as _;
use std::path::PathBuf;

use trent_core::quota::QuotaId;
use trent_server::config::Config;
use trent_server::server::{ServeOptions, start};

use super::args::{LoadArgs, Output};
use super::chart;
use super::error::{Error, Result};
use super::report::Report;
use super::retry::RetryMode;
use super::run::run_once;

/// The four strategies, in table order: (label, retry, envelope).
const RUNS: [(&str, RetryMode, bool); 4] = [
    ("No retries", RetryMode::None, false),
    ("Exponential backoff", RetryMode::Backoff, false),
    ("Adaptive (SDK)", RetryMode::Adaptive, false),
    ("Envelope + data key cache", RetryMode::Standard, true),
];

/// The endpoint to load: `--endpoint`, or an in-process Trent server whose symmetric quota
/// is `--seed-quota` (kept alive by the returned directory's owner for the process's life).
pub(crate) async fn endpoint_or_in_process(
    args: &LoadArgs,
    scenario: &str,
) -> Result<(Option<tempfile::TempDir>, String, Option<f64>)> {
    Ok(match &args.endpoint {
        Some(e) => (None, e.clone(), args.quota),
        None => {
            let tmp = tempfile::tempdir().map_err(|e| Error::environment("temporary data directory", e))?;
            let toml = format!(
                "[quotas]\n[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"{}\"\nvalue = {:?}\n",
                QuotaId::SYMMETRIC.def().code,
                args.seed_quota
            );
            let config = Config::from_toml(&toml).map_err(|e| Error::environment("seed server config", e))?;
            let opts = ServeOptions {
                listen: Some(([127, 0, 0, 1], 0).into()),
                data_dir: Some(tmp.path().join("data")),
                config,
                ..ServeOptions::default()
            };
            let server =
                start(opts).await.map_err(|e| Error::environment("starting the in-process Trent server", e))?;
            let url = format!("http://{}", server.addr);
            // The server keeps serving on its own task for the rest of the process.
            std::mem::forget(server);
            eprintln!("{scenario} scenario: in-process Trent at {url}, symmetric quota {}/s", args.seed_quota);
            (Some(tmp), url, Some(args.seed_quota))
        }
    })
}

/// Runs the seed comparison and prints one table (or a JSON array) and the chart.
pub async fn seed(args: &LoadArgs) -> Result<()> {
    let (_tmp, endpoint, quota) = endpoint_or_in_process(args, "seed").await?;
    let rate = match (args.rate, quota) {
        (Some(r), _) => r,
        (None, Some(q)) => 2.0 * q,
        (None, None) => {
            return Err(Error::usage("--scenario seed with --endpoint needs --rate (or --quota, to offer twice it)"));
        }
    };
    let mut reports = Vec::new();
    for (i, (label, retry, envelope)) in RUNS.into_iter().enumerate() {
        let mut a = args.clone();
        a.scenario = None;
        a.endpoint = Some(endpoint.clone());
        a.rate = Some(rate);
        a.retry = retry;
        a.envelope = envelope;
        if a.operations.is_empty() {
            // Without a cache, every message costs one GenerateDataKey.
            a.operations = vec!["GenerateDataKey".into()];
        }
        a.max_attempts = None;
        // Let the previous run's bucket refill before this one's window starts.
        a.settle = a.settle.max(std::time::Duration::from_secs_f64(args.burst_seconds + 0.5));
        eprintln!("seed scenario {}/{}: {label}", i + 1, RUNS.len());
        let report = run_once(&a, label, i).await;
        reports.push(report.map_err(|e| Error::Run { label: label.to_owned(), source: Box::new(e) })?);
    }
    match args.output {
        Output::Text => print!("{}", table(&reports, rate)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&reports).map_err(|e| Error::output("rendering the JSON report", e))?
        ),
    }
    let path = args.chart.clone().unwrap_or_else(|| PathBuf::from("trent-load-seed.svg"));
    let panels: Vec<&Report> = reports.iter().collect();
    chart::draw(&path, &panels)?;
    eprintln!("chart written to {}", path.display());
    Ok(())
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The comparison as a Markdown table, with the setting above it.
pub fn table(reports: &[Report], rate: f64) -> String {
    let mut o = String::new();
    let (duration, quota) = reports.first().map_or((0.0, None), |r| (r.duration_seconds, r.quota_line));
    let _ = writeln!(
        o,
        "Offered: {rate:.0} messages/s for {duration:.0} s against a symmetric quota of {}.\n",
        quota.map_or("unknown".to_owned(), |q| format!("{q:.0}/s"))
    );
    let _ = writeln!(o, "| Strategy | Success rate | KMS requests | Throttles | p99 latency |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|");
    for r in reports {
        let _ = writeln!(
            o,
            "| {} | {:.1}% | {} | {} | {:.1} ms |",
            r.label,
            r.success_rate * 100.0,
            thousands(r.sent),
            thousands(r.throttled),
            r.latency_ms.p99
        );
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(20_000), "20,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
