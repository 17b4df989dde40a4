//! The progress bar for large inputs, shown on stderr when it is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trent_client::Progress;

/// Inputs smaller than this get no bar in `auto` mode.
const AUTO_THRESHOLD: u64 = 32 * 1024 * 1024;

/// Creates the bar for `total` bytes, or `None` when it should not be shown.
pub fn bar(mode: &str, total: Option<u64>, quiet: bool) -> anyhow::Result<Option<ProgressBar>> {
    let show = match mode {
        "always" => true,
        "never" => false,
        "auto" => !quiet && std::io::stderr().is_terminal() && total.is_none_or(|t| t >= AUTO_THRESHOLD),
        other => anyhow::bail!("--progress: expected auto, always or never, got {other:?}"),
    };
    if !show {
        return Ok(None);
    }
    let pb = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let template = if total.is_some() {
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}"
    } else {
        "{spinner} [{elapsed_precise}] {bytes} {binary_bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    Ok(Some(pb))
}

/// A per-file callback feeding the shared bar with deltas (the library reports running totals).
pub fn feeder(bar: &Option<ProgressBar>) -> Option<Progress> {
    let bar = bar.clone()?;
    let last = AtomicU64::new(0);
    Some(Arc::new(move |done: u64| {
        let prev = last.swap(done, Ordering::Relaxed);
        if done > prev {
            bar.inc(done - prev);
        }
    }))
}
