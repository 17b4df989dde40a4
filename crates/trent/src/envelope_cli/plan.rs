//! Turns `-i`/`-o`/`-r`/`--suffix` into a list of (source, destination) pairs, with the naming
//! rules of aws-encryption-cli (`<name><suffix>` inside output directories).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::args::is_stdio;

/// Where plaintext or ciphertext comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File { path: PathBuf, len: u64 },
}

/// Where the result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    /// An existing device or FIFO (e.g. /dev/null): written in place, with stdout's rules.
    Device(PathBuf),
    File(PathBuf),
}

/// Classifies an output path.
fn sink_for(path: PathBuf) -> Sink {
    match std::fs::metadata(&path) {
        Ok(m) if !m.is_file() && !m.is_dir() => Sink::Device(path),
        _ => Sink::File(path),
    }
}

/// One message to process.
#[derive(Debug, Clone)]
pub struct Job {
    pub source: Source,
    pub sink: Sink,
}

impl Job {
    /// Input size if known.
    pub fn len(&self) -> Option<u64> {
        match &self.source {
            Source::Stdin => None,
            Source::File { len, .. } => Some(*len),
        }
    }

    /// Name for messages.
    pub fn name(&self) -> String {
        match &self.source {
            Source::Stdin => "<stdin>".into(),
            Source::File { path, .. } => path.display().to_string(),
        }
    }
}

fn with_suffix(name: &std::ffi::OsStr, suffix: &str) -> OsString {
    let mut n = name.to_os_string();
    n.push(suffix);
    n
}

/// Builds the job list.
pub fn plan(input: &str, output: &str, recursive: bool, suffix: &str) -> Result<Vec<Job>> {
    let out_is_dir = !is_stdio(output) && Path::new(output).is_dir();
    if is_stdio(input) {
        let sink = if is_stdio(output) {
            Sink::Stdout
        } else if out_is_dir {
            bail!("-o {output} is a directory; with -i - give an output file or -o -");
        } else {
            Sink::File(PathBuf::from(output))
        };
        return Ok(vec![Job { source: Source::Stdin, sink }]);
    }
    let in_path = PathBuf::from(input);
    let meta = match std::fs::metadata(&in_path) {
        Ok(m) => m,
        Err(e) => bail!("cannot read input {input}: {e}"),
    };
    if meta.is_dir() {
        if !recursive {
            bail!("input {input} is a directory; pass -r to process it recursively");
        }
        if is_stdio(output) {
            bail!("-o - cannot take a directory of messages; give an output directory");
        }
        let out_dir = PathBuf::from(output);
        if out_dir.exists() && !out_is_dir {
            bail!("input is a directory, so -o {output} must be a directory, not a file");
        }
        std::fs::create_dir_all(&out_dir)?;
        let out_canon = out_dir.canonicalize()?;
        let mut files = Vec::new();
        walk(&in_path, &out_canon, &mut files)?;
        files.sort();
        let mut jobs = Vec::with_capacity(files.len());
        for (path, len) in files {
            let rel = path.strip_prefix(&in_path).unwrap_or(&path);
            let mut dest = out_dir.join(rel);
            let name = dest.file_name().map(|n| with_suffix(n, suffix));
            if let Some(n) = name {
                dest.set_file_name(n);
            }
            jobs.push(Job { source: Source::File { path, len }, sink: Sink::File(dest) });
        }
        return Ok(jobs);
    }
    let sink = if is_stdio(output) {
        Sink::Stdout
    } else if out_is_dir {
        let name = in_path.file_name().map(|n| with_suffix(n, suffix)).unwrap_or_default();
        Sink::File(Path::new(output).join(name))
    } else {
        sink_for(PathBuf::from(output))
    };
    if let Sink::File(dest) = &sink
        && dest.exists()
        && dest.canonicalize().ok() == in_path.canonicalize().ok()
    {
        bail!("output {} is the input file; choose another -o", dest.display());
    }
    Ok(vec![Job { source: Source::File { path: in_path, len: meta.len() }, sink }])
}

/// Collects regular files below `dir`, skipping the output directory and symlinked directories.
fn walk(dir: &Path, skip: &Path, out: &mut Vec<(PathBuf, u64)>) -> Result<()> {
    if dir.canonicalize().ok().as_deref() == Some(skip) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, skip, out)?;
        } else if ty.is_file() || (ty.is_symlink() && path.is_file()) {
            let len = std::fs::metadata(&path)?.len();
            out.push((path, len));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_outputs_like_the_official_cli() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a.txt"), b"a").unwrap();
        std::fs::write(src.join("sub/b.txt"), b"bb").unwrap();
        let out = d.path().join("out");
        let jobs = plan(src.to_str().unwrap(), out.to_str().unwrap(), true, ".encrypted").unwrap();
        let sinks: Vec<_> = jobs.iter().map(|j| j.sink.clone()).collect();
        assert_eq!(sinks, vec![Sink::File(out.join("a.txt.encrypted")), Sink::File(out.join("sub/b.txt.encrypted"))]);
        assert_eq!(jobs[1].len(), Some(2));
        // Without -r a directory is refused.
        assert!(plan(src.to_str().unwrap(), out.to_str().unwrap(), false, "").is_err());
        // A file into an existing directory gets the suffix; into a path, the path.
        let f = src.join("a.txt");
        let j = plan(f.to_str().unwrap(), out.to_str().unwrap(), false, ".x").unwrap();
        assert_eq!(j[0].sink, Sink::File(out.join("a.txt.x")));
        let j = plan(f.to_str().unwrap(), "-", false, ".x").unwrap();
        assert_eq!(j[0].sink, Sink::Stdout);
        assert!(plan(f.to_str().unwrap(), f.to_str().unwrap(), false, "").is_err());
        // Output inside the input tree is not walked.
        let nested = src.join("enc");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("old.encrypted"), b"x").unwrap();
        let jobs = plan(src.to_str().unwrap(), nested.to_str().unwrap(), true, ".e").unwrap();
        assert_eq!(jobs.len(), 2);
    }
}
