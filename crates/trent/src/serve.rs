//! `trent serve`: starts the server and tells the user how to point AWS clients at it.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use trent_server::config::Config;
use trent_server::server::{ServeOptions, start};

/// Runs the server until it stops.
///
/// `store` (`--store URL`) overrides the config file's `[store] url`.
pub async fn run(
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    config: Option<PathBuf>,
    store: Option<String>,
) -> anyhow::Result<()> {
    let mut config = match config {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading config {}", path.display()))?;
            Config::from_toml(&text).with_context(|| format!("parsing config {}", path.display()))?
        }
        None => Config::default(),
    };
    if store.is_some() {
        config.store.url = store;
    }
    let server = start(ServeOptions { listen, data_dir, config }).await?;
    let endpoint = format!("http://{}", server.addr);
    println!("Trent is listening on {endpoint} (data in {})", server.data_dir.display());
    if server.dev_principal {
        if let Some(p) = server.principals.first() {
            println!("Development principal (loopback only): account {}", p.account_id);
            println!();
            println!("export AWS_ENDPOINT_URL_KMS={endpoint}");
            println!("export AWS_ACCESS_KEY_ID={}", p.access_key_id);
            println!("export AWS_SECRET_ACCESS_KEY={}", &*p.secret_access_key);
            println!("export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1");
        }
    } else {
        println!("{} configured principal(s)", server.principals.len());
        println!();
        println!("export AWS_ENDPOINT_URL_KMS={endpoint}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    server.wait().await.context("serving")
}
