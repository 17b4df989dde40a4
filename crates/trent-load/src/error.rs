//! Why `trent load` stopped, as a typed error: the binary prints it with its sources (one
//! line, `outer: inner`) and exits with the code of its kind, so a script can tell a bad
//! command line from missing credentials, a refusing endpoint or an unwritable report.

/// Any underlying error kept as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Exit codes of `trent load`, one per kind of [`Error`]; apart from the envelope commands'
/// 1–4 and `trent serve`'s 10–12 (crates/trent/src/main.rs), and from clap's 2 for a command
/// line that does not parse. Listed in `trent load --help` and docs/load.md.
pub mod exit_code {
    /// Options that cannot be run together, or values out of range.
    pub const USAGE: u8 = 20;
    /// Something the run needs from its surroundings is missing.
    pub const ENVIRONMENT: u8 = 21;
    /// The endpoint refused or failed a setup call.
    pub const SETUP: u8 = 22;
    /// The report or chart could not be written.
    pub const OUTPUT: u8 = 23;

    /// The codes as `trent load --help` lists them.
    pub const HELP: &str = "\
Exit codes:
   0  the run was made and reported (throttled or failed requests are results, not errors)
   2  the command line does not parse
  20  options that cannot be run: a value out of range, an unknown --operation, a bad
      --endpoint URL, keys that would have to be created on an AWS endpoint
  21  something the run needs is missing: AWS credentials, a readable --trent-config, TLS
      root certificates, the in-process server of --scenario seed
  22  the endpoint refused or failed setup (CreateKey, …)
  23  the report or the --chart file could not be written";
}

/// Why a run could not be made or reported. A run that was made never fails because the
/// endpoint throttled or refused its requests: that is what the report is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Options that cannot be run: a value out of range, an unknown operation, an endpoint
    /// URL that is not one, keys that would have to be created on AWS.
    #[error("{0}")]
    Usage(String),
    /// Something the run needs from its surroundings is missing: credentials, a readable
    /// Trent config, TLS root certificates, a temporary directory, the in-process server.
    #[error("{context}")]
    Environment {
        /// What was being done.
        context: String,
        /// Why it failed, if another error says so.
        #[source]
        source: Option<BoxError>,
    },
    /// The endpoint refused or failed what setup asked of it (creating keys, …).
    #[error("setup: {context}")]
    Setup {
        /// What was being done.
        context: String,
        /// Why it failed, if another error says so.
        #[source]
        source: Option<BoxError>,
    },
    /// The report or the chart could not be written.
    #[error("{context}")]
    Output {
        /// What was being written.
        context: String,
        /// Why it failed.
        #[source]
        source: Option<BoxError>,
    },
    /// One run of `--scenario seed` failed; the source says how.
    #[error("run {label:?}")]
    Run {
        /// The run's label.
        label: String,
        /// Its error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The process exit code for this error (see [`exit_code`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit_code::USAGE,
            Error::Environment { .. } => exit_code::ENVIRONMENT,
            Error::Setup { .. } => exit_code::SETUP,
            Error::Output { .. } => exit_code::OUTPUT,
            Error::Run { source, .. } => source.exit_code(),
        }
    }

    /// An [`Error::Usage`] with this message.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// An [`Error::Environment`]: what was being done, and why it failed.
    pub(crate) fn environment(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Environment { context: context.into(), source: Some(source.into()) }
    }

    /// An [`Error::Setup`]: what was being done, and why it failed if another error says so.
    pub(crate) fn setup(context: impl Into<String>, source: Option<BoxError>) -> Self {
        Error::Setup { context: context.into(), source }
    }

    /// An [`Error::Output`]: what was being written, and why it failed.
    pub(crate) fn output(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Output { context: context.into(), source: Some(source.into()) }
    }
}

/// `Err(Error::Usage(..))` unless `condition` holds, like `anyhow::ensure!` for options.
macro_rules! ensure_usage {
    ($condition:expr, $($message:tt)+) => {
        // Through a bool, so a NaN option value (every comparison false) is refused too.
        let holds: bool = $condition;
        if !holds {
            return Err($crate::error::Error::usage(format!($($message)+)));
        }
    };
}
pub(crate) use ensure_usage;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code_and_runs_keep_theirs() {
        let io = || std::io::Error::other("denied");
        assert_eq!(Error::usage("x").exit_code(), 20);
        assert_eq!(Error::environment("x", io()).exit_code(), 21);
        assert_eq!(Error::setup("x", None).exit_code(), 22);
        assert_eq!(Error::output("x", io()).exit_code(), 23);
        let run = Error::Run { label: "No retries".into(), source: Box::new(Error::setup("CreateKey", None)) };
        assert_eq!(run.exit_code(), 22);
        assert_eq!(format!("{:#}", anyhow::Error::new(run)), "run \"No retries\": setup: CreateKey");
    }
}
