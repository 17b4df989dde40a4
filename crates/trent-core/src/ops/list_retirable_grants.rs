//! ListRetirableGrants: the grants, on keys of any account, that name a given
//! retiring principal of the caller's account.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::access::grants::{self, Grant};
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

use crate::access::grant_list::GrantList as Response;

/// ListRetirableGrants request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub retiring_principal: Option<String>,
    pub retiring_service_principal: Option<String>,
}

/// Runs ListRetirableGrants.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    crate::access::grants::check_principal(&mut v, "retiringPrincipal", req.retiring_principal.as_deref());
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    let Some(principal) = req.retiring_principal.as_deref() else {
        return Err(KmsError::validation("RetiringPrincipal is required."));
    };
    kms.admit(caller, Operation::ListRetirableGrants).await?;
    // The permission is the caller account's (an IAM permission): the
    // principal asked about must belong to the caller's account.
    if !principal_in_account(principal, &caller.account_id) {
        return Err(KmsError::new(
            ErrorKind::AccessDenied,
            format!(
                "User: {} is not authorized to perform: kms:ListRetirableGrants on resource: {principal}",
                caller.principal_arn
            ),
        ));
    }
    let docs = kms.store.list_docs(grants::DOC_KIND, None).await.map_err(store_err)?;
    let mut found = Vec::new();
    for d in docs {
        let g = Grant::from_json(&d.body)?;
        if g.retiring_principal.as_deref() == Some(principal) && g.in_region(&caller.region) {
            found.push(g);
        }
    }
    crate::access::grant_list::page(found, req.limit, req.marker.as_deref())
}

/// Whether a principal (account id or IAM/STS ARN) belongs to `account`.
fn principal_in_account(principal: &str, account: &str) -> bool {
    principal == account || principal.split(':').nth(4) == Some(account)
}
