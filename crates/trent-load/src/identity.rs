//! Who the simulated clients are and where they send: principals from a Trent config or the
//! standard AWS credential chain, times the regions asked for, with each region's endpoint.

use aws_credential_types::provider::ProvideCredentials;
use trent_server::config::{Config, DEV_ACCESS_KEY_ID, DEV_ACCOUNT_ID, DEV_SECRET_ACCESS_KEY};
use zeroize::Zeroizing;

use super::args::LoadArgs;
use super::client::Identity;
use super::conn::Endpoint;
use super::error::{Error, Result};
use trent_sigv4::Credentials;

/// The regions to use: `--region`, else `$AWS_REGION` / `$AWS_DEFAULT_REGION`, else us-east-1.
pub fn regions(args: &LoadArgs) -> Vec<String> {
    let mut out: Vec<String> = args.region.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect();
    out.dedup();
    if out.is_empty() {
        let env = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).unwrap_or_default();
        out.push(if env.is_empty() { "us-east-1".to_owned() } else { env });
    }
    out
}

/// The endpoint for `region`: `--endpoint`, `$AWS_ENDPOINT_URL_KMS`, `$AWS_ENDPOINT_URL`, else AWS's.
pub fn endpoint(args: &LoadArgs, region: &str) -> Result<Endpoint> {
    let url = args
        .endpoint
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_KMS").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
            format!("https://kms.{region}.{suffix}")
        });
    Endpoint::parse(&url)
}

fn is_loopback(e: &Endpoint) -> bool {
    e.host == "localhost" || e.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// (account, credentials) of each principal to simulate.
pub async fn principals(args: &LoadArgs, first_endpoint: &Endpoint) -> Result<Vec<(String, Credentials)>> {
    if let Some(path) = &args.trent_config {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::environment(format!("reading {}", path.display()), e))?;
        let config =
            Config::from_toml(&text).map_err(|e| Error::environment(format!("parsing {}", path.display()), e))?;
        if config.principals.is_empty() {
            return Ok(vec![dev_principal()]);
        }
        return Ok(config
            .principals
            .iter()
            .map(|p| {
                let creds = Credentials {
                    access_key_id: p.access_key_id.clone(),
                    secret_access_key: Zeroizing::new(p.secret_access_key.clone()),
                    session_token: None,
                };
                (p.account_id.clone(), creds)
            })
            .collect());
    }
    let env_has_creds =
        ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
    if !env_has_creds && is_loopback(first_endpoint) {
        // A local Trent without configured principals accepts the development principal.
        return Ok(vec![dev_principal()]);
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let provider = config.credentials_provider().ok_or_else(|| Error::Environment {
        context: "no AWS credentials provider is configured".into(),
        source: None,
    })?;
    let c = provider
        .provide_credentials()
        .await
        .map_err(|e| Error::environment("loading AWS credentials (standard chain)", e))?;
    let creds = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Zeroizing::new(c.secret_access_key().to_owned()),
        session_token: c.session_token().map(str::to_owned),
    };
    let account = c.account_id().map(|a| a.as_str().to_owned()).unwrap_or_else(|| creds.access_key_id.clone());
    Ok(vec![(account, creds)])
}

fn dev_principal() -> (String, Credentials) {
    let creds = Credentials {
        access_key_id: DEV_ACCESS_KEY_ID.into(),
        secret_access_key: Zeroizing::new(DEV_SECRET_ACCESS_KEY.into()),
        session_token: None,
    };
    (DEV_ACCOUNT_ID.into(), creds)
}

/// Every (principal, region) pair, in a stable order.
pub fn identities(principals: &[(String, Credentials)], regions: &[String]) -> Vec<Identity> {
    let mut out = Vec::new();
    for (account, creds) in principals {
        for region in regions {
            out.push(Identity { account: account.clone(), region: region.clone(), credentials: creds.clone() });
        }
    }
    out
}
