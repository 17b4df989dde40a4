//! Several imported materials on one symmetric EXTERNAL key on a real `trent
//! serve`, wrapped by the openssl command line: ImportKeyMaterial with
//! ImportType NEW_KEY_MATERIAL / EXISTING_KEY_MATERIAL, KeyMaterialId and
//! KeyMaterialDescription, RotateKeyOnDemand to the pending material,
//! ListKeyRotations and DescribeKey showing each material, deletion of one
//! material by id, AWS's refusals on each path, and all of it after kill -9.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportState, ImportType, IncludeKeyMaterial, KeyMaterialState, KeySpec,
    KeyState, KeyUsageType, OriginType, RotationType, RotationsListEntry,
};
use common::api::{decrypt, encrypt, err_of, expect_err, key_arn, now, validation};
use common::asymmetric::{Dir, server, wrap_with_openssl};

fn material(seed: u8) -> Vec<u8> {
    (0..32u8).map(|i| i.wrapping_mul(seed).wrapping_add(seed)).collect()
}

/// ImportType, KeyMaterialId, KeyMaterialDescription and ValidTo (without it the material does not expire).
type Opts<'a> = (Option<ImportType>, Option<&'a str>, Option<&'a str>, Option<f64>);

/// Wraps `m` with openssl and imports it with the given options; returns the result.
async fn import(
    c: &Client,
    key: &str,
    m: &[u8],
    dir: &Dir,
    (import_type, material_id, description, valid_to): Opts<'_>,
) -> Result<Option<String>, (String, String)> {
    let (token, wrapped) = wrap_with_openssl(c, key, AlgorithmSpec::RsaesOaepSha256, m, dir).await;
    let mut r = c.import_key_material().key_id(key).import_token(token).encrypted_key_material(Blob::new(wrapped));
    r = match valid_to {
        Some(t) => r.expiration_model(ExpirationModelType::KeyMaterialExpires).valid_to(DateTime::from_secs(t as i64)),
        None => r.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire),
    };
    if let Some(t) = import_type {
        r = r.import_type(t);
    }
    if let Some(id) = material_id {
        r = r.key_material_id(id);
    }
    if let Some(d) = description {
        r = r.key_material_description(d);
    }
    match r.send().await {
        Ok(out) => Ok(out.key_material_id().map(str::to_owned)),
        Err(e) => {
            let e = e.into_service_error();
            Err((
                aws_sdk_kms::error::ProvideErrorMetadata::code(&e).unwrap_or_default().to_owned(),
                aws_sdk_kms::error::ProvideErrorMetadata::message(&e).unwrap_or_default().to_owned(),
            ))
        }
    }
}

async fn all_materials(c: &Client, key: &str) -> Vec<RotationsListEntry> {
    c.list_key_rotations()
        .key_id(key)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap()
        .rotations()
        .to_vec()
}

async fn current_material(c: &Client, key: &str) -> Option<String> {
    let md = c.describe_key().key_id(key).send().await.unwrap();
    md.key_metadata().unwrap().current_key_material_id().map(str::to_owned)
}

#[tokio::test]
async fn new_material_rotates_in_old_ciphertexts_still_decrypt_and_it_survives_kill_9() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let key =
        c.create_key().origin(OriginType::External).send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let (a, b, x) = (material(3), material(7), material(11));

    // The first import (ImportType defaults to NEW_KEY_MATERIAL) becomes current.
    let id_a = import(&c, &key, &a, &dir, (None, None, Some("first material"), None)).await.unwrap().unwrap();
    assert_eq!(id_a.len(), 64);
    assert_eq!(current_material(&c, &key).await.as_deref(), Some(id_a.as_str()));
    let ct_a = encrypt(&c, &key, b"under material A").await;

    // Nothing is pending: RotateKeyOnDemand is refused, and no material may be re-imported that is not A.
    let r = c.rotate_key_on_demand().key_id(&key).send().await;
    let msg = err_of(r, "KMSInvalidStateException").unwrap();
    assert!(msg.starts_with("No available key material pending rotation for the key: arn:aws:kms:"), "{msg}");
    let e = import(&c, &key, &b, &dir, (None, None, None, None)).await.unwrap_err();
    assert_eq!(e.0, "IncorrectKeyMaterialException", "{e:?}");
    let e = import(&c, &key, &b, &dir, (Some(ImportType::ExistingKeyMaterial), None, None, None)).await.unwrap_err();
    assert_eq!(e.0, "IncorrectKeyMaterialException", "{e:?}");
    let e = import(&c, &key, &a, &dir, (Some(ImportType::NewKeyMaterial), None, None, None)).await.unwrap_err();
    assert_eq!(e.0, "IncorrectKeyMaterialException", "material A is already associated: {e:?}");
    let e = import(&c, &key, &b, &dir, (Some(ImportType::NewKeyMaterial), Some(&id_a), None, None)).await.unwrap_err();
    assert_eq!(e.0, "ValidationException", "{e:?}");
    let e = import(&c, &key, &b, &dir, (Some(ImportType::NewKeyMaterial), None, Some("bad*chars"), None)).await;
    assert_eq!(
        e.unwrap_err(),
        (
            "ValidationException".to_owned(),
            validation(
                "Value 'bad*chars' at 'keyMaterialDescription' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$"
            )
        )
    );
    let (token, wrapped) = wrap_with_openssl(&c, &key, AlgorithmSpec::RsaesOaepSha256, &b, &dir).await;
    expect_err(
        c.import_key_material()
            .key_id(&key)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .import_type(ImportType::NewKeyMaterial)
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .send()
            .await,
        "ValidationException",
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
    );

    // B is imported as new material: pending rotation, not used yet.
    let valid_to = (now() + 30.0 * 86_400.0).round();
    let id_b = import(&c, &key, &b, &dir, (Some(ImportType::NewKeyMaterial), None, Some("second one"), Some(valid_to)))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(id_a, id_b);
    assert_eq!(current_material(&c, &key).await.as_deref(), Some(id_a.as_str()));
    let rotations = c.list_key_rotations().key_id(&key).send().await.unwrap();
    assert!(rotations.rotations().is_empty(), "ROTATIONS_ONLY lists no completed rotation yet");
    let listed = all_materials(&c, &key).await;
    assert_eq!(listed.len(), 2);
    let (first, pending) = (&listed[0], &listed[1]);
    assert_eq!(first.key_material_id(), Some(id_a.as_str()));
    assert_eq!(first.key_material_state(), Some(&KeyMaterialState::Current));
    assert_eq!(first.import_state(), Some(&ImportState::Imported));
    assert_eq!(first.key_material_description(), Some("first material"));
    assert_eq!(first.expiration_model(), Some(&ExpirationModelType::KeyMaterialDoesNotExpire));
    assert!(first.valid_to().is_none() && first.rotation_date().is_none() && first.rotation_type().is_none());
    assert_eq!(pending.key_material_id(), Some(id_b.as_str()));
    assert_eq!(pending.key_material_state(), Some(&KeyMaterialState::PendingRotation));
    assert_eq!(pending.key_material_description(), Some("second one"));
    assert_eq!(pending.valid_to().map(|t| t.secs() as f64), Some(valid_to));
    assert!(pending.rotation_date().is_none() && pending.rotation_type().is_none());
    let ct_a2 = encrypt(&c, &key, b"still under A").await;
    // Only one material may wait for rotation.
    let e = import(&c, &key, &x, &dir, (Some(ImportType::NewKeyMaterial), None, None, None)).await.unwrap_err();
    assert_eq!(e.0, "KMSInvalidStateException", "{e:?}");

    // RotateKeyOnDemand makes B current; A decrypts what it encrypted.
    c.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    assert_eq!(current_material(&c, &key).await.as_deref(), Some(id_b.as_str()));
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.expiration_model(), Some(&ExpirationModelType::KeyMaterialExpires));
    assert_eq!(md.valid_to().map(|t| t.secs() as f64), Some(valid_to));
    let rotations = c.list_key_rotations().key_id(&key).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    let r = &rotations.rotations()[0];
    assert_eq!(r.key_material_id(), Some(id_b.as_str()));
    assert_eq!(r.rotation_type(), Some(&RotationType::OnDemand));
    assert_eq!(r.key_material_state(), Some(&KeyMaterialState::Current));
    assert!((r.rotation_date().unwrap().secs() as f64 - now()).abs() < 60.0);
    let states: Vec<_> = all_materials(&c, &key).await.iter().map(|m| m.key_material_state().cloned()).collect();
    assert_eq!(states, [Some(KeyMaterialState::NonCurrent), Some(KeyMaterialState::Current)]);
    let ct_b = encrypt(&c, &key, b"under material B").await;
    assert_eq!(decrypt(&c, &ct_a).await, b"under material A");
    assert_eq!(decrypt(&c, &ct_a2).await, b"still under A");
    assert_eq!(decrypt(&c, &ct_b).await, b"under material B");
    assert!(err_of(c.rotate_key_on_demand().key_id(&key).send().await, "KMSInvalidStateException").is_some());

    // Deleting A (not current) by id: the key waits for it; re-importing A (EXISTING, by id) brings it back.
    let deleted = c.delete_imported_key_material().key_id(&key).key_material_id(&id_a).send().await.unwrap();
    assert_eq!(deleted.key_material_id(), Some(id_a.as_str()));
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    let a_entry = all_materials(&c, &key).await.into_iter().find(|m| m.key_material_id() == Some(&id_a)).unwrap();
    assert_eq!(a_entry.import_state(), Some(&ImportState::PendingImport));
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct_b.clone())).send().await,
        "KMSInvalidStateException",
        &format!("{} is pending import.", key_arn(&key)),
    );
    let e = import(&c, &key, &b, &dir, (None, Some(&id_a), None, None)).await.unwrap_err();
    assert_eq!(e.0, "IncorrectKeyMaterialException", "B's material under A's id: {e:?}");
    let again = import(&c, &key, &a, &dir, (Some(ImportType::ExistingKeyMaterial), Some(&id_a), None, None)).await;
    assert_eq!(again.unwrap().as_deref(), Some(id_a.as_str()));
    let a_entry = all_materials(&c, &key).await.into_iter().find(|m| m.key_material_id() == Some(&id_a)).unwrap();
    assert_eq!(a_entry.key_material_description(), Some("first material"), "kept when not given again");
    assert_eq!(a_entry.import_state(), Some(&ImportState::Imported));
    assert_eq!(
        c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );
    err_of(
        c.delete_imported_key_material().key_id(&key).key_material_id("ab".repeat(32)).send().await,
        "NotFoundException",
    );

    // A pending material can be deleted and other material imported in its place.
    let id_x = import(&c, &key, &x, &dir, (Some(ImportType::NewKeyMaterial), None, None, None)).await.unwrap().unwrap();
    c.delete_imported_key_material().key_id(&key).key_material_id(&id_x).send().await.unwrap();
    assert_eq!(all_materials(&c, &key).await.len(), 2, "pending material is dissociated, the key stays usable");
    assert_eq!(
        c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );

    // Everything acknowledged survives kill -9.
    let before = all_materials(&c, &key).await;
    let server = server.kill9_and_restart();
    let c = server.kms_client().await;
    assert_eq!(all_materials(&c, &key).await, before);
    assert_eq!(current_material(&c, &key).await.as_deref(), Some(id_b.as_str()));
    assert_eq!(decrypt(&c, &ct_a).await, b"under material A");
    assert_eq!(decrypt(&c, &ct_b).await, b"under material B");
}

#[tokio::test]
async fn import_type_is_for_symmetric_keys_and_automatic_rotation_stays_refused() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let hmac = common::asymmetric::create_external(&c, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let m = material(5);
    let e = import(&c, &hmac, &m, &dir, (Some(ImportType::NewKeyMaterial), None, None, None)).await.unwrap_err();
    assert_eq!(e.0, "ValidationException", "{e:?}");
    let id = import(&c, &hmac, &m, &dir, (None, None, None, None)).await.unwrap();
    assert_eq!(id, None, "no KeyMaterialId for HMAC keys");
    err_of(c.rotate_key_on_demand().key_id(&hmac).send().await, "UnsupportedOperationException");

    let sym =
        c.create_key().origin(OriginType::External).send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    import(&c, &sym, &material(9), &dir, (None, None, None, None)).await.unwrap();
    err_of(c.enable_key_rotation().key_id(&sym).send().await, "UnsupportedOperationException");
    let e = import(&c, &sym, &material(9), &dir, (Some(ImportType::from("SOMETIMES")), None, None, None)).await;
    assert_eq!(
        e.unwrap_err().1,
        validation(
            "Value 'SOMETIMES' at 'importType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL]"
        )
    );
}
