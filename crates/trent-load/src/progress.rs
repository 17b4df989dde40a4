//! The live progress line on stderr: sent, succeeded, throttled, retries and the current
//! rates, refreshed every second; an indicatif spinner on a terminal, plain lines otherwise
//! (only with `--progress always`).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::ProgressMode;
use super::stats::Stats;

/// Starts the ticker; stop it by aborting the returned task (the spinner is cleared).
pub fn start(mode: ProgressMode, label: String, stats: Arc<Stats>) -> Option<tokio::task::JoinHandle<()>> {
    let terminal = std::io::stderr().is_terminal();
    let show = match mode {
        ProgressMode::Never => false,
        ProgressMode::Auto => terminal,
        ProgressMode::Always => true,
    };
    if !show {
        return None;
    }
    let bar = terminal.then(|| {
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
            pb.set_style(style);
        }
        pb
    });
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let (mut last_sent, mut last_ok) = (0u64, 0u64);
        let _guard = BarGuard(bar.clone());
        loop {
            tick.tick().await;
            let sent = stats.sent.load(Relaxed);
            let ok = stats.succeeded.load(Relaxed);
            let line = format!(
                "{label}: sent {sent}, succeeded {ok}, throttled {}, retries {}, now {}/s sent, {}/s succeeded",
                stats.throttled.load(Relaxed),
                stats.retries.load(Relaxed),
                sent - last_sent,
                ok.saturating_sub(last_ok),
            );
            (last_sent, last_ok) = (sent, ok);
            match &bar {
                Some(pb) => {
                    pb.set_message(line);
                    pb.tick();
                }
                None => eprintln!("{line}"),
            }
        }
    }))
}

/// Clears the spinner when the ticker task ends (it is aborted).
struct BarGuard(Option<ProgressBar>);

impl Drop for BarGuard {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}
