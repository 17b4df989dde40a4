//! `--scenario s3-sse-kms`: S3 traffic on SSE-KMS buckets turned into the KMS
//! requests S3 makes for it on the requester's behalf, by the one S3 → KMS
//! model (`trent_plan::s3`, which `trent plan` forecasts with), then offered to
//! the endpoint: once without S3 Bucket Keys and once with them (or only the
//! `--s3-bucket-key` asked). The requests draw on the caller's symmetric pool,
//! so the table shows what the pool throttles and how Bucket Keys avoid it.

use std::fmt::Write as _;
use std::path::PathBuf;

use trent_plan::S3Traffic;

use super::args::{LoadArgs, Output};
use super::chart;
use super::error::{Error, Result};
use super::report::Report;
use super::run::run_once;
use super::scenario::endpoint_or_in_process;

/// The S3 traffic the options describe.
pub fn traffic(args: &LoadArgs) -> S3Traffic {
    S3Traffic {
        put_per_second: args.s3_put_rate,
        get_per_second: args.s3_get_rate,
        multipart_per_second: args.s3_multipart_rate,
        parts_per_upload: args.s3_parts,
        bucket_key: false,
        buckets: args.s3_buckets,
        requesters: args.s3_requesters,
        bucket_key_reuse_seconds: args.s3_bucket_key_reuse.as_secs_f64(),
    }
}

/// The `--operation` mix and total rate of the KMS requests for `t`.
pub fn kms_mix(t: &S3Traffic) -> (Vec<String>, f64) {
    let c = t.kms_calls();
    let mut ops = Vec::new();
    if c.generate_data_key > 0.0 {
        ops.push(format!("GenerateDataKey={}", c.generate_data_key));
    }
    if c.decrypt > 0.0 {
        ops.push(format!("Decrypt={}", c.decrypt));
    }
    (ops, c.total())
}

/// Runs the scenario and prints one table (or a JSON array) and the chart.
pub async fn run(args: &LoadArgs) -> Result<()> {
    let base = traffic(args);
    for (name, v) in [
        ("--s3-put-rate", base.put_per_second),
        ("--s3-get-rate", base.get_per_second),
        ("--s3-multipart-rate", base.multipart_per_second),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::usage(format!("{name} must be a number ≥ 0")));
        }
    }
    if !(base.parts_per_upload >= 1.0 && base.buckets >= 1.0 && base.requesters >= 1.0) {
        return Err(Error::usage("--s3-parts, --s3-buckets and --s3-requesters must be at least 1"));
    }
    if base.kms_calls().total() <= 0.0 {
        return Err(Error::usage("--scenario s3-sse-kms needs --s3-put-rate, --s3-get-rate or --s3-multipart-rate"));
    }
    let (_tmp, endpoint, quota) = endpoint_or_in_process(args, "s3-sse-kms").await?;
    let settings: Vec<bool> = match args.s3_bucket_key {
        Some(b) => vec![b],
        None => vec![false, true],
    };
    let mut reports = Vec::new();
    let mut rows = Vec::new();
    for (i, bucket_key) in settings.into_iter().enumerate() {
        let t = base.with_bucket_key(bucket_key);
        let (ops, rate) = kms_mix(&t);
        let label = if bucket_key { "S3 Bucket Keys" } else { "No Bucket Keys" };
        let mut a = args.clone();
        a.scenario = None;
        a.endpoint = Some(endpoint.clone());
        a.quota = quota.or(args.quota);
        a.operations = ops;
        a.rate = Some(rate);
        a.settle = a.settle.max(std::time::Duration::from_secs_f64(args.burst_seconds + 0.5));
        eprintln!("s3-sse-kms scenario {}: {label}: {rate:.3} KMS requests/s", i + 1);
        let report =
            run_once(&a, label, i).await.map_err(|e| Error::Run { label: label.to_owned(), source: Box::new(e) })?;
        rows.push((label, t, rate));
        reports.push(report);
    }
    match args.output {
        Output::Text => print!("{}", table(&reports, &rows)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&reports).map_err(|e| Error::output("rendering the JSON report", e))?
        ),
    }
    let path = args.chart.clone().unwrap_or_else(|| PathBuf::from("trent-load-s3-sse-kms.svg"));
    let panels: Vec<&Report> = reports.iter().collect();
    chart::draw(&path, &panels)?;
    eprintln!("chart written to {}", path.display());
    Ok(())
}

fn table(reports: &[Report], rows: &[(&str, S3Traffic, f64)]) -> String {
    let mut o = String::new();
    let quota = reports.first().and_then(|r| r.quota_line);
    if let Some((_, t, _)) = rows.first() {
        let _ = writeln!(
            o,
            "S3 objects: {} PutObject/s, {} GetObject/s, {} multipart uploads/s of {} parts; symmetric quota {}.\n",
            t.put_per_second,
            t.get_per_second,
            t.multipart_per_second,
            t.parts_per_upload,
            quota.map_or("unknown".to_owned(), |q| format!("{q:.0}/s"))
        );
    }
    let _ = writeln!(o, "| Setting | KMS requests/s (model) | KMS requests sent | Throttled | Throttle ratio |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|");
    for (r, (label, _, rate)) in reports.iter().zip(rows) {
        let ratio = if r.sent > 0 { r.throttled as f64 / r.sent as f64 } else { 0.0 };
        let _ = writeln!(o, "| {label} | {rate:.3} | {} | {} | {:.1}% |", r.sent, r.throttled, ratio * 100.0);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_follows_the_shared_model() {
        let t = S3Traffic {
            put_per_second: 150.0,
            get_per_second: 100.0,
            multipart_per_second: 5.0,
            parts_per_upload: 4.0,
            ..S3Traffic::default()
        };
        let (ops, rate) = kms_mix(&t);
        assert_eq!(ops, vec!["GenerateDataKey=155".to_owned(), "Decrypt=120".to_owned()]);
        assert_eq!(rate, 275.0);
        let (ops, rate) = kms_mix(&t.with_bucket_key(true));
        assert_eq!(ops.len(), 2);
        assert!((rate - 2.0 / 60.0).abs() < 1e-12);
    }
}
