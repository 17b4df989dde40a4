//! Work that comes due with time, proved in-process with a hand-moved clock:
//! a key scheduled for deletion really goes (with its aliases) when its
//! waiting period ends, and automatic rotation makes new material on schedule
//! while old ciphertexts still decrypt, and each imported material expires on
//! its own ValidTo. Also: internal faults reach clients as
//! a bare 500 KMSInternalException without detail.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{ACCOUNT, DAY, REGION, Service, T0};
use serde_json::{Value, json};
use trent_core::kms::DueWork;
use trent_core::{ErrorKind, KmsError, Operation};

/// Helpers only this file needs.
impl Service {
    async fn encrypt(&self, key: &str, plaintext: &[u8]) -> String {
        let out = self.ok(Operation::Encrypt, json!({ "KeyId": key, "Plaintext": STANDARD.encode(plaintext) })).await;
        out["CiphertextBlob"].as_str().unwrap().to_owned()
    }

    async fn decrypt(&self, blob: &str) -> (Vec<u8>, String) {
        let out = self.ok(Operation::Decrypt, json!({ "CiphertextBlob": blob })).await;
        (
            STANDARD.decode(out["Plaintext"].as_str().unwrap()).unwrap(),
            out["KeyMaterialId"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_key_scheduled_for_deletion_goes_with_its_aliases_when_due() {
    let s = Service::new().await;
    let (id, arn) = s.create_key().await;
    let (kept, kept_arn) = s.create_key().await;
    s.ok(Operation::CreateAlias, json!({ "AliasName": "alias/doomed", "TargetKeyId": id })).await;
    s.ok(Operation::CreateAlias, json!({ "AliasName": "alias/doomed-too", "TargetKeyId": arn })).await;
    s.ok(Operation::CreateAlias, json!({ "AliasName": "alias/kept", "TargetKeyId": kept })).await;
    // Use the aliases first, so the alias cache knows them.
    let ct = s.encrypt("alias/doomed", b"gone soon").await;
    s.encrypt("alias/doomed-too", b"x").await;
    let kept_ct = s.encrypt("alias/kept", b"stays").await;

    let out = s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": id, "PendingWindowInDays": 7 })).await;
    assert_eq!(out["KeyId"], arn);
    assert_eq!(out["DeletionDate"].as_f64(), Some(T0 + 7.0 * DAY));
    assert_eq!(out["PendingWindowInDays"], 7);
    // A second key is scheduled and then cancelled: it must survive its date.
    s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": kept, "PendingWindowInDays": 7 })).await;
    s.ok(Operation::CancelKeyDeletion, json!({ "KeyId": kept })).await;

    // One second early: nothing happens.
    s.clock.advance(7.0 * DAY - 1.0);
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    let md = s.describe(&id).await;
    assert_eq!(md["KeyState"], "PendingDeletion");
    assert_eq!(md["DeletionDate"].as_f64(), Some(T0 + 7.0 * DAY));

    // At the deletion date the key goes.
    s.clock.advance(1.0);
    assert_eq!(s.due_work().await, DueWork { deleted: 1, rotated: 0 });
    let e = s.err(Operation::DescribeKey, json!({ "KeyId": id })).await;
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.message.as_deref(), Some(format!("Key '{arn}' does not exist").as_str()));
    assert_eq!(s.err(Operation::DescribeKey, json!({ "KeyId": arn })).await.kind, ErrorKind::NotFound);
    assert_eq!(s.err(Operation::EnableKey, json!({ "KeyId": id })).await.kind, ErrorKind::NotFound);
    assert_eq!(s.err(Operation::CancelKeyDeletion, json!({ "KeyId": id })).await.kind, ErrorKind::NotFound);
    // Its aliases went with it (and the alias cache forgot them).
    for alias in ["alias/doomed", "alias/doomed-too"] {
        let e = s.err(Operation::DescribeKey, json!({ "KeyId": alias })).await;
        assert_eq!(e.kind, ErrorKind::NotFound, "{alias}");
        assert_eq!(
            e.message.as_deref(),
            Some(format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:{alias} is not found.").as_str())
        );
        let e = s.err(Operation::Encrypt, json!({ "KeyId": alias, "Plaintext": "eA==" })).await;
        assert_eq!(e.kind, ErrorKind::NotFound, "{alias}");
    }
    let aliases = s.ok(Operation::ListAliases, json!({})).await;
    let names: Vec<&str> =
        aliases["Aliases"].as_array().unwrap().iter().map(|a| a["AliasName"].as_str().unwrap()).collect();
    assert_eq!(names, ["alias/kept"]);
    let keys = s.ok(Operation::ListKeys, json!({})).await;
    let ids: Vec<&str> = keys["Keys"].as_array().unwrap().iter().map(|k| k["KeyId"].as_str().unwrap()).collect();
    assert_eq!(ids, [kept.as_str()]);
    // Its ciphertexts are now undecryptable, and the name may be reused.
    let e = s.err(Operation::Decrypt, json!({ "CiphertextBlob": ct })).await;
    assert_eq!(e.kind, ErrorKind::InvalidCiphertext);
    s.ok(Operation::CreateAlias, json!({ "AliasName": "alias/doomed", "TargetKeyId": kept })).await;

    // The cancelled key is still there, Disabled as CancelKeyDeletion left it.
    let md = s.describe(&kept_arn).await;
    assert_eq!(md["KeyState"], "Disabled");
    assert!(md.get("DeletionDate").is_none());
    s.ok(Operation::EnableKey, json!({ "KeyId": kept })).await;
    assert_eq!(s.decrypt(&kept_ct).await.0, b"stays");

    // Nothing more is due, however far time moves.
    s.clock.advance(400.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    assert_eq!(s.describe(&kept).await["KeyState"], "Enabled");
}

#[tokio::test]
async fn the_30_day_default_window_is_honoured_to_the_second() {
    let s = Service::new().await;
    let (id, _) = s.create_key().await;
    let out = s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": id })).await;
    assert_eq!(out["DeletionDate"].as_f64(), Some(T0 + 30.0 * DAY));
    s.clock.advance(30.0 * DAY - 0.5);
    assert_eq!(s.due_work().await.deleted, 0);
    assert_eq!(s.describe(&id).await["KeyState"], "PendingDeletion");
    s.clock.advance(0.5);
    assert_eq!(s.due_work().await.deleted, 1);
    assert_eq!(s.err(Operation::DescribeKey, json!({ "KeyId": id })).await.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn automatic_rotation_makes_new_material_when_due_and_old_ciphertexts_still_decrypt() {
    let s = Service::new().await;
    let (id, arn) = s.create_key().await;
    let (idle, _) = s.create_key().await; // rotation never enabled
    let (paused, _) = s.create_key().await; // rotation enabled, key disabled
    let (leaving, _) = s.create_key().await; // rotation enabled, key pending deletion when due
    s.ok(Operation::EnableKeyRotation, json!({ "KeyId": id, "RotationPeriodInDays": 90 })).await;
    for k in [&paused, &leaving] {
        s.ok(Operation::EnableKeyRotation, json!({ "KeyId": k, "RotationPeriodInDays": 90 })).await;
    }
    s.ok(Operation::DisableKey, json!({ "KeyId": paused })).await;

    let st = s.ok(Operation::GetKeyRotationStatus, json!({ "KeyId": id })).await;
    assert_eq!(st["KeyRotationEnabled"], true);
    assert_eq!(st["KeyId"], arn);
    assert_eq!(st["RotationPeriodInDays"], 90);
    assert_eq!(st["NextRotationDate"].as_f64(), Some(T0 + 90.0 * DAY));

    let m0 = s.describe(&id).await["CurrentKeyMaterialId"].as_str().unwrap().to_owned();
    let idle_m0 = s.describe(&idle).await["CurrentKeyMaterialId"].clone();
    let paused_m0 = s.describe(&paused).await["CurrentKeyMaterialId"].clone();
    let leaving_m0 = s.describe(&leaving).await["CurrentKeyMaterialId"].clone();
    let old = s.encrypt(&id, b"made before rotation").await;

    // 89 days: not yet.
    s.clock.advance(89.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    assert_eq!(s.describe(&id).await["CurrentKeyMaterialId"], m0.as_str());
    assert!(
        s.ok(Operation::ListKeyRotations, json!({ "KeyId": id })).await["Rotations"].as_array().unwrap().is_empty()
    );
    // Day 89: `leaving` goes pending deletion until day 96, across its rotation date (day 90).
    s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": leaving, "PendingWindowInDays": 7 })).await;

    // 91 days: exactly one key rotates, once.
    s.clock.advance(2.0 * DAY);
    let t_rot = T0 + 91.0 * DAY;
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 1 });
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    let m1 = s.describe(&id).await["CurrentKeyMaterialId"].as_str().unwrap().to_owned();
    assert_ne!(m0, m1);
    assert_eq!(m1.len(), 64);

    let rotations = s.ok(Operation::ListKeyRotations, json!({ "KeyId": id })).await;
    assert_eq!(rotations["Truncated"], false);
    let list = rotations["Rotations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["KeyId"], arn);
    assert_eq!(list[0]["KeyMaterialId"], m1.as_str());
    assert_eq!(list[0]["RotationType"], "AUTOMATIC");
    assert_eq!(list[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(list[0]["RotationDate"].as_f64(), Some(t_rot));

    // Old ciphertexts decrypt with the old material; new ones use the new material.
    assert_eq!(s.decrypt(&old).await, (b"made before rotation".to_vec(), m0.clone()));
    let new = s.encrypt(&id, b"made after rotation").await;
    assert_eq!(s.decrypt(&new).await, (b"made after rotation".to_vec(), m1.clone()));
    assert_ne!(old, new);

    // The next rotation is one period after the one that was due (day 180).
    let st = s.ok(Operation::GetKeyRotationStatus, json!({ "KeyId": id })).await;
    assert_eq!(st["NextRotationDate"].as_f64(), Some(T0 + 180.0 * DAY));
    assert_eq!(st["RotationPeriodInDays"], 90);

    // Keys without rotation, disabled keys and keys pending deletion did not rotate.
    assert_eq!(s.describe(&idle).await["CurrentKeyMaterialId"], idle_m0);
    assert_eq!(s.describe(&paused).await["CurrentKeyMaterialId"], paused_m0);
    assert_eq!(s.describe(&leaving).await["CurrentKeyMaterialId"], leaving_m0);
    let st = s.ok(Operation::GetKeyRotationStatus, json!({ "KeyId": leaving })).await;
    assert_eq!(st["KeyRotationEnabled"], false, "a key pending deletion reports rotation off");

    // A second period: the key rotates again, and every generation still decrypts.
    s.clock.advance(90.0 * DAY);
    let done = s.due_work().await;
    assert_eq!(done.rotated, 1);
    assert_eq!(done.deleted, 1, "the key pending deletion went on day 96");
    assert_eq!(s.err(Operation::DescribeKey, json!({ "KeyId": leaving })).await.kind, ErrorKind::NotFound);
    let all = s.ok(Operation::ListKeyRotations, json!({ "KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL" })).await;
    let kinds: Vec<(Value, Value)> = all["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r.get("RotationType").cloned().unwrap_or(Value::Null), r["KeyMaterialState"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Value::Null, json!("NON_CURRENT")),
            (json!("AUTOMATIC"), json!("NON_CURRENT")),
            (json!("AUTOMATIC"), json!("CURRENT")),
        ]
    );
    assert_eq!(s.decrypt(&old).await.0, b"made before rotation");
    assert_eq!(s.decrypt(&new).await.0, b"made after rotation");
    assert_eq!(
        s.ok(Operation::GetKeyRotationStatus, json!({ "KeyId": id })).await["NextRotationDate"].as_f64(),
        Some(T0 + 270.0 * DAY)
    );

    // DisableKeyRotation stops the schedule.
    s.ok(Operation::DisableKeyRotation, json!({ "KeyId": id })).await;
    s.clock.advance(1000.0 * DAY);
    assert_eq!(s.due_work().await.rotated, 0);
    let rotations = s.ok(Operation::ListKeyRotations, json!({ "KeyId": id })).await;
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn internal_faults_are_500_kms_internal_exception_without_detail() {
    let s = Service::new().await;
    let (id, _) = s.create_key().await;

    // A real store failure: the database is gone under the service.
    s.store.close().await;
    for (op, body) in [
        (Operation::CreateKey, json!({})),
        (Operation::ListKeys, json!({})),
        (Operation::ListAliases, json!({})),
        (Operation::CreateAlias, json!({ "AliasName": "alias/x", "TargetKeyId": id })),
        (Operation::DisableKey, json!({ "KeyId": id })),
    ] {
        let e = s.err(op, body).await;
        assert_eq!(e.kind, ErrorKind::KmsInternal, "{op:?}: {e}");
        assert_eq!(e.message.as_deref(), Some("An internal error occurred. Try the request again."), "{op:?}");
    }
    let e = s.kms.run_due_work().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::KmsInternal);

    // On the wire: HTTP 500, AWS's type name, nothing about the store.
    let response = trent_server::http::error_response(&e);
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(response.headers()["content-type"], "application/x-amz-json-1.1");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json,
        json!({ "__type": "KMSInternalException", "message": "An internal error occurred. Try the request again." })
    );
    let lower = text.to_ascii_lowercase();
    for needle in ["sqlite", "storage backend", "pool", "closed", "database"] {
        assert!(!lower.contains(needle), "{needle} leaked: {text}");
    }

    // A client error keeps its 400 and its message.
    let response = trent_server::http::error_response(&KmsError::invalid_ciphertext());
    assert_eq!(response.status().as_u16(), 400);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({ "__type": "InvalidCiphertextException" }));
}

/// Wraps `material` for `key` with RSAES_OAEP_SHA_256 under a fresh wrapping key; (token, wrapped).
async fn wrapped_for(s: &Service, key: &str, material: &[u8]) -> (String, String) {
    use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
    let p = s
        .ok(
            Operation::GetParametersForImport,
            json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        )
        .await;
    let spki = STANDARD.decode(p["PublicKey"].as_str().unwrap()).unwrap();
    let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&spki).unwrap()).unwrap();
    let mut out = vec![0u8; public.ciphertext_size()];
    let n = public.encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None).unwrap().len();
    out.truncate(n);
    (p["ImportToken"].as_str().unwrap().to_owned(), STANDARD.encode(out))
}

#[tokio::test]
async fn each_imported_material_expires_on_its_own_valid_to() {
    let s = Service::new().await;
    let md = s.ok(Operation::CreateKey, json!({ "Origin": "EXTERNAL" })).await["KeyMetadata"].clone();
    let key = md["KeyId"].as_str().unwrap().to_owned();
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let (token, wrapped) = wrapped_for(&s, &key, &a).await;
    let import = json!({ "KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped,
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" });
    let id_a = s.ok(Operation::ImportKeyMaterial, import).await["KeyMaterialId"].as_str().unwrap().to_owned();
    let ct_a = s.encrypt(&key, b"under A").await;
    let (token, wrapped) = wrapped_for(&s, &key, &b).await;
    let import_b = json!({ "KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped,
        "ImportType": "NEW_KEY_MATERIAL", "ValidTo": T0 + DAY });
    let id_b = s.ok(Operation::ImportKeyMaterial, import_b).await["KeyMaterialId"].as_str().unwrap().to_owned();
    s.ok(Operation::RotateKeyOnDemand, json!({ "KeyId": key })).await;
    let ct_b = s.encrypt(&key, b"under B").await;
    assert_eq!(s.decrypt(&ct_b).await, (b"under B".to_vec(), id_b.clone()));

    // One second before B's ValidTo everything works; at it, B alone is deleted.
    s.clock.advance(DAY - 1.0);
    assert_eq!(s.decrypt(&ct_a).await, (b"under A".to_vec(), id_a.clone()));
    s.clock.advance(1.0);
    let md = s.describe(&key).await;
    assert_eq!(md["KeyState"], "PendingImport");
    assert!(md.get("ValidTo").is_none(), "{md}");
    let all =
        s.ok(Operation::ListKeyRotations, json!({ "KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL" })).await;
    let states: Vec<(&str, &str)> = all["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["KeyMaterialId"].as_str().unwrap(), r["ImportState"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(id_a.as_str(), "IMPORTED"), (id_b.as_str(), "PENDING_IMPORT")]);
    assert_eq!(s.err_kind(Operation::Decrypt, json!({ "CiphertextBlob": ct_a })).await, ErrorKind::KmsInvalidState);

    // Re-importing B (it is associated, so EXISTING_KEY_MATERIAL by default) brings the key back.
    let (token, wrapped) = wrapped_for(&s, &key, &b).await;
    let again = json!({ "KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped,
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" });
    assert_eq!(s.ok(Operation::ImportKeyMaterial, again).await["KeyMaterialId"], id_b.as_str());
    assert_eq!(s.key_state(&key).await, "Enabled");
    assert_eq!(s.decrypt(&ct_a).await.0, b"under A");
    assert_eq!(s.decrypt(&ct_b).await.0, b"under B");
}
