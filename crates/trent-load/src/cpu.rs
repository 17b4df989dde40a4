//! CPU time this process has used (user + system, all threads), from `/proc/self/stat`, so a
//! report can tell whether the generator itself was the bottleneck.

/// Seconds of CPU used so far, or `None` where `/proc` is unavailable.
pub fn process_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at state (field 3).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture Rust targets.
    Some((utime + stime) / 100.0)
}

/// Cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_cpu_time() {
        let t = super::process_seconds().unwrap();
        assert!(t >= 0.0);
        assert!(super::cores() >= 1);
    }
}
