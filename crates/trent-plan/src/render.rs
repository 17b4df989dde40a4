//! The forecast as a table a person reads (`trent plan`); `--output json`
//! serializes [`crate::Forecast`] instead.

use std::fmt::Write as _;

use crate::forecast::{Forecast, Remedy};

/// A rate with thousands separators and no more precision than it deserves.
pub fn rate(x: f64) -> String {
    if !x.is_finite() {
        return "∞".to_owned();
    }
    if x != 0.0 && x.abs() < 10.0 {
        return format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    let n = x.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn pct(x: f64) -> String {
    if x.is_finite() { format!("{:.1}%", x * 100.0) } else { "∞".to_owned() }
}

/// One remedy in words.
pub fn remedy(r: &Remedy, limit: f64) -> String {
    let fits = |ok: bool| if ok { "fits" } else { "still over" };
    match r {
        Remedy::BucketKeys { sources, demand_after, suffices } => format!(
            "enable S3 Bucket Keys on {}: demand {}/s against {}/s ({})",
            sources.join(", "),
            rate(*demand_after),
            rate(limit),
            fits(*suffices)
        ),
        Remedy::Cache { source, max_messages, max_age_seconds, demand_after, suffices } => format!(
            "cache data keys in {source}: max_messages ≥ {}, max_age {}s → demand {}/s ({})",
            rate(*max_messages),
            rate(*max_age_seconds),
            rate(*demand_after),
            fits(*suffices)
        ),
        Remedy::Increase { to } => format!("request a quota increase to {}/s", rate(*to)),
        Remedy::Spread { over } => {
            format!("spread the callers over {over} accounts or regions ({}/s each)", rate(limit))
        }
    }
}

/// The forecast as a Markdown table, then the remedies of each throttled quota.
pub fn text(f: &Forecast) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Quota profile: {}\n", f.profile);
    let _ = writeln!(o, "| Account | Region | Quota | Code | Demand/s | Limit/s | Use | Throttle ratio | Status |");
    let _ = writeln!(o, "|---|---|---|---|---:|---:|---:|---:|---|");
    for q in &f.quotas {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            q.account,
            q.region,
            q.quota_name,
            q.quota_code,
            rate(q.demand),
            rate(q.limit),
            pct(q.utilization),
            pct(q.throttle_ratio),
            q.status
        );
    }
    let _ = writeln!(
        o,
        "\nAll quotas: {}/s asked, {}/s expected throttled ({}).",
        rate(f.total_demand),
        rate(f.total_throttled),
        pct(f.throttle_ratio)
    );
    for q in f.quotas.iter().filter(|q| !q.remedies.is_empty()) {
        let _ = writeln!(
            o,
            "\n{} in {} / {} ({}) is over by {}/s:",
            q.quota_name,
            q.account,
            q.region,
            q.quota_code,
            rate(q.demand - q.limit)
        );
        for c in &q.contributions {
            let _ = writeln!(o, "  - {} {}: {}/s", c.source, c.operation, rate(c.rate));
        }
        let _ = writeln!(o, "  Remedies:");
        for r in &q.remedies {
            let _ = writeln!(o, "  * {}", remedy(r, q.limit));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_read_well() {
        assert_eq!(super::rate(10_000.0), "10,000");
        assert_eq!(super::rate(0.016_666), "0.017");
        assert_eq!(super::rate(2.0), "2");
        assert_eq!(super::rate(0.0), "0");
    }
}
