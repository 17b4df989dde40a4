//! Naming and labelling keys through the KMS API of a real `trent serve`,
//! driven by `aws-sdk-kms`: every way to name a key (id, ARN, alias name,
//! alias ARN) and which operations accept which, aliases (create, update,
//! delete, list, naming rules) and tags (tag, untag, list, limits).
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec, KeyState, Tag};
use common::api::{alias_arn, decrypt, encrypt, err_of, expect_err, key_arn, new_key, now, state_of, tag, validation};
use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer};

#[tokio::test]
async fn keys_are_named_by_id_arn_alias_name_and_alias_arn_and_responses_echo_the_arn() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    c.create_alias().alias_name("alias/named").target_key_id(&id).send().await.unwrap();
    let names = [id.clone(), arn.clone(), "alias/named".to_owned(), alias_arn("alias/named")];

    for name in &names {
        let md = c.describe_key().key_id(name).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(md.key_id(), id, "DescribeKey({name})");
        let enc = c.encrypt().key_id(name).plaintext(Blob::new("hello")).send().await.unwrap();
        assert_eq!(enc.key_id(), Some(arn.as_str()), "Encrypt({name}) echoes the key ARN");
        assert_eq!(enc.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
        let blob = enc.ciphertext_blob.unwrap();
        let dec = c.decrypt().ciphertext_blob(blob.clone()).key_id(name).send().await.unwrap();
        assert_eq!(dec.key_id(), Some(arn.as_str()), "Decrypt(KeyId={name})");
        assert_eq!(dec.plaintext().unwrap().as_ref(), b"hello");
        let gdk = c.generate_data_key().key_id(name).key_spec(DataKeySpec::Aes256).send().await.unwrap();
        assert_eq!(gdk.key_id(), Some(arn.as_str()), "GenerateDataKey({name})");
        let gdkwp =
            c.generate_data_key_without_plaintext().key_id(name).key_spec(DataKeySpec::Aes128).send().await.unwrap();
        assert_eq!(gdkwp.key_id(), Some(arn.as_str()), "GenerateDataKeyWithoutPlaintext({name})");
        let re =
            c.re_encrypt().ciphertext_blob(blob).source_key_id(name).destination_key_id(name).send().await.unwrap();
        assert_eq!(re.key_id(), Some(arn.as_str()), "ReEncrypt({name})");
        assert_eq!(re.source_key_id(), Some(arn.as_str()));
    }

    // Management operations take a key id or key ARN, not an alias.
    for name in [&id, &arn] {
        c.enable_key().key_id(name).send().await.unwrap();
        c.get_key_rotation_status().key_id(name).send().await.unwrap();
        c.list_resource_tags().key_id(name).send().await.unwrap();
        c.get_key_policy().key_id(name).send().await.unwrap();
        c.list_key_policies().key_id(name).send().await.unwrap();
    }
    expect_err(c.enable_key().key_id("alias/named").send().await, "NotFoundException", "Invalid keyId 'alias/named'");
    err_of(c.disable_key().key_id(alias_arn("alias/named")).send().await, "NotFoundException");
    err_of(c.list_aliases().key_id("alias/named").send().await, "NotFoundException");
    assert_eq!(state_of(&c, &id).await, KeyState::Enabled);

    // Unknown keys and aliases, with AWS's wording.
    let missing = "0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f";
    let not_found = format!("Key '{}' does not exist", key_arn(missing));
    expect_err(c.describe_key().key_id(missing).send().await, "NotFoundException", &not_found);
    expect_err(c.describe_key().key_id(key_arn(missing)).send().await, "NotFoundException", &not_found);
    expect_err(c.encrypt().key_id(missing).plaintext(Blob::new("x")).send().await, "NotFoundException", &not_found);
    expect_err(c.enable_key().key_id(missing).send().await, "NotFoundException", &not_found);
    expect_err(c.schedule_key_deletion().key_id(missing).send().await, "NotFoundException", &not_found);
    let no_alias = format!("Alias {} is not found.", alias_arn("alias/nope"));
    expect_err(c.encrypt().key_id("alias/nope").plaintext(Blob::new("x")).send().await, "NotFoundException", &no_alias);
    expect_err(c.describe_key().key_id(alias_arn("alias/nope")).send().await, "NotFoundException", &no_alias);

    // Another region's ARN names nothing here.
    let elsewhere = arn.replace(REGION, "eu-west-1");
    err_of(c.describe_key().key_id(&elsewhere).send().await, "NotFoundException");
    // And a client in another region sees neither the key nor the alias.
    let eu = s.kms_client_as(DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, "eu-west-1", 1).await;
    err_of(eu.describe_key().key_id(&id).send().await, "NotFoundException");
    err_of(eu.describe_key().key_id("alias/named").send().await, "NotFoundException");
    assert!(eu.list_keys().send().await.unwrap().keys().is_empty());
}

#[tokio::test]
async fn aliases_create_update_delete_list_and_rules() {
    // Paging below puts 101 aliases on one key: above AWS's 50 aliases per key
    // (quota L-340F62FB), so this test raises it.
    let s = TestServer::start_with_config(Some(
        "[quotas]\nenabled = false\n\n[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"L-340F62FB\"\nvalue = 200.0\n",
    ));
    let c = s.kms_client().await;
    let (k1, _) = new_key(&c).await;
    let (k2, arn2) = new_key(&c).await;

    let t0 = now();
    for n in ["alias/a1", "alias/a2", "alias/a3", "alias/a4"] {
        c.create_alias().alias_name(n).target_key_id(&k1).send().await.unwrap();
    }
    // TargetKeyId may be a key ARN.
    c.create_alias().alias_name("alias/b").target_key_id(&arn2).send().await.unwrap();

    let all = c.list_aliases().send().await.unwrap();
    assert!(!all.truncated());
    let names: Vec<&str> = all.aliases().iter().map(|a| a.alias_name().unwrap()).collect();
    assert_eq!(names, ["alias/a1", "alias/a2", "alias/a3", "alias/a4", "alias/b"]);
    let b = &all.aliases()[4];
    assert_eq!(b.alias_arn(), Some(alias_arn("alias/b").as_str()));
    assert_eq!(b.target_key_id(), Some(k2.as_str()));
    let created = b.creation_date().unwrap().as_secs_f64();
    assert!(created >= t0.floor() - 1.0 && created <= now() + 1.0);
    assert!(b.last_updated_date().is_some());

    // KeyId filter, by id and by ARN.
    let only = c.list_aliases().key_id(&k2).send().await.unwrap();
    assert_eq!(only.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/b"]);
    assert_eq!(c.list_aliases().key_id(&arn2).send().await.unwrap().aliases().len(), 1);
    let (k3, _) = new_key(&c).await;
    assert!(c.list_aliases().key_id(&k3).send().await.unwrap().aliases().is_empty());
    err_of(c.list_aliases().key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").send().await, "NotFoundException");

    // Pagination with Limit and Marker.
    let p1 = c.list_aliases().limit(2).send().await.unwrap();
    assert!(p1.truncated());
    let p2 = c.list_aliases().limit(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert!(p2.truncated());
    let p3 = c.list_aliases().limit(2).marker(p2.next_marker().unwrap()).send().await.unwrap();
    assert!(!p3.truncated());
    assert_eq!(p3.next_marker(), None);
    let paged: Vec<&str> =
        [&p1, &p2, &p3].iter().flat_map(|p| p.aliases().iter().map(|a| a.alias_name().unwrap())).collect();
    assert_eq!(paged, names);
    let f1 = c.list_aliases().key_id(&k1).limit(3).send().await.unwrap();
    assert_eq!(f1.aliases().len(), 3);
    let f2 = c.list_aliases().key_id(&k1).limit(3).marker(f1.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(f2.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/a4"]);
    err_of(c.list_aliases().marker("garbage").send().await, "InvalidMarkerException");

    // Duplicate name.
    expect_err(
        c.create_alias().alias_name("alias/b").target_key_id(&k1).send().await,
        "AlreadyExistsException",
        &format!("An alias with the name {} already exists", alias_arn("alias/b")),
    );
    // The alias/ prefix is required; alias/aws/ is reserved.
    let prefix = "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";
    expect_err(c.create_alias().alias_name("noprefix").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.create_alias().alias_name("alias/").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.update_alias().alias_name("noprefix").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.delete_alias().alias_name("noprefix").send().await, "ValidationException", prefix);
    let reserved = [
        err_of(
            c.create_alias().alias_name("alias/aws/s3").target_key_id(&k1).send().await,
            "InvalidAliasNameException",
        ),
        err_of(
            c.update_alias().alias_name("alias/aws/s3").target_key_id(&k1).send().await,
            "InvalidAliasNameException",
        ),
        err_of(c.delete_alias().alias_name("alias/aws/s3").send().await, "InvalidAliasNameException"),
    ];
    for msg in reserved {
        let msg = msg.unwrap();
        assert!(msg.contains("alias/aws/"), "{msg}");
    }
    // Model constraints: 1–256 characters of [a-zA-Z0-9:/_-].
    let a256 = format!("alias/{}", "x".repeat(250));
    c.create_alias().alias_name(&a256).target_key_id(&k1).send().await.unwrap();
    let a257 = format!("alias/{}", "x".repeat(251));
    expect_err(
        c.create_alias().alias_name(&a257).target_key_id(&k1).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{a257}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256"
        )),
    );
    expect_err(
        c.create_alias().alias_name("alias/has space").target_key_id(&k1).send().await,
        "ValidationException",
        &validation(
            "Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ),
    );
    err_of(c.create_alias().alias_name("alias/with:colon").target_key_id(&k1).send().await, "ValidationException");
    expect_err(
        c.create_alias().alias_name("alias/x").send().await,
        "ValidationException",
        &validation("Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null"),
    );
    // The target must be a key, named by id or ARN.
    err_of(c.create_alias().alias_name("alias/x").target_key_id("alias/b").send().await, "NotFoundException");
    err_of(
        c.create_alias().alias_name("alias/x").target_key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").send().await,
        "NotFoundException",
    );

    // UpdateAlias moves the alias; encryption by alias follows it.
    let before = encrypt(&c, "alias/a1", b"v1").await;
    c.update_alias().alias_name("alias/a1").target_key_id(&k2).send().await.unwrap();
    let out = c.encrypt().key_id("alias/a1").plaintext(Blob::new("v2")).send().await.unwrap();
    assert_eq!(out.key_id(), Some(arn2.as_str()));
    assert_eq!(decrypt(&c, &before).await, b"v1", "old ciphertexts keep their key");
    let moved = c.list_aliases().key_id(&k2).send().await.unwrap();
    assert_eq!(moved.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/a1", "alias/b"]);
    expect_err(
        c.update_alias().alias_name("alias/none").target_key_id(&k2).send().await,
        "NotFoundException",
        &format!("Alias {} is not found.", alias_arn("alias/none")),
    );

    // DeleteAlias removes the name, not the key.
    c.delete_alias().alias_name("alias/b").send().await.unwrap();
    expect_err(
        c.delete_alias().alias_name("alias/b").send().await,
        "NotFoundException",
        &format!("Alias {} is not found.", alias_arn("alias/b")),
    );
    err_of(c.describe_key().key_id("alias/b").send().await, "NotFoundException");
    assert_eq!(state_of(&c, &k2).await, KeyState::Enabled);
    // The name is free again.
    c.create_alias().alias_name("alias/b").target_key_id(&k3).send().await.unwrap();
    assert_eq!(c.describe_key().key_id("alias/b").send().await.unwrap().key_metadata.unwrap().key_id(), k3);

    // Pages hold 50 aliases by default and never more than 100, whatever Limit says.
    for i in 0..100 {
        c.create_alias().alias_name(format!("alias/many-{i:03}")).target_key_id(&k3).send().await.unwrap();
    }
    let page = c.list_aliases().key_id(&k3).send().await.unwrap();
    assert_eq!((page.aliases().len(), page.truncated()), (50, true));
    let page = c.list_aliases().key_id(&k3).limit(1000).send().await.unwrap();
    assert_eq!((page.aliases().len(), page.truncated()), (100, true));
    let rest = c.list_aliases().key_id(&k3).limit(1000).marker(page.next_marker().unwrap()).send().await.unwrap();
    assert_eq!((rest.aliases().len(), rest.truncated()), (1, false));
}

#[tokio::test]
async fn tag_untag_and_list_resource_tags() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;

    c.tag_resource().key_id(&id).tags(tag("b", "2")).tags(tag("a", "1")).send().await.unwrap();
    c.tag_resource().key_id(&arn).tags(tag("c", "3")).tags(tag("a", "one")).send().await.unwrap();
    let tags = c.list_resource_tags().key_id(&id).send().await.unwrap();
    assert!(!tags.truncated());
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.tag_key(), t.tag_value())).collect();
    assert_eq!(pairs, [("a", "one"), ("b", "2"), ("c", "3")]);

    // Pagination.
    let p1 = c.list_resource_tags().key_id(&id).limit(2).send().await.unwrap();
    assert!(p1.truncated());
    assert_eq!(p1.tags().len(), 2);
    let p2 = c.list_resource_tags().key_id(&id).limit(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert!(!p2.truncated());
    assert_eq!(p2.tags().iter().map(|t| t.tag_key()).collect::<Vec<_>>(), ["c"]);
    err_of(c.list_resource_tags().key_id(&id).marker("garbage").send().await, "InvalidMarkerException");

    // UntagResource; unknown keys are ignored.
    c.untag_resource().key_id(&id).tag_keys("b").tag_keys("zzz").send().await.unwrap();
    let keys: Vec<String> = c
        .list_resource_tags()
        .key_id(&arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| t.tag_key().to_owned())
        .collect();
    assert_eq!(keys, ["a", "c"]);

    // aws: is reserved.
    let msg = err_of(c.tag_resource().key_id(&id).tags(tag("aws:owner", "me")).send().await, "TagException").unwrap();
    assert!(msg.contains("aws:"), "{msg}");
    err_of(c.create_key().tags(tag("aws:x", "y")).send().await, "TagException");
    assert_eq!(c.list_resource_tags().key_id(&id).send().await.unwrap().tags().len(), 2);

    // Lengths: key 1–128, value 0–256.
    c.tag_resource()
        .key_id(&id)
        .tags(tag(&"k".repeat(128), &"v".repeat(256)))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    let k129 = "k".repeat(129);
    expect_err(
        c.tag_resource().key_id(&id).tags(tag(&k129, "v")).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{k129}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"
        )),
    );
    let v257 = "v".repeat(257);
    expect_err(
        c.tag_resource().key_id(&id).tags(tag("ok", "ok")).tags(tag("k", &v257)).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{v257}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"
        )),
    );
    expect_err(
        c.tag_resource().key_id(&id).tags(tag("", "v")).send().await,
        "ValidationException",
        &validation(
            "Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.create_key().tags(tag(&k129, "v")).send().await, "ValidationException");
    expect_err(
        c.untag_resource().key_id(&id).tag_keys(&k129).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{k129}' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length less than or equal to 128"
        )),
    );

    // At most 50 tags per key.
    let (full, _) = new_key(&c).await;
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("t{i:02}"), "x")).collect();
    c.tag_resource().key_id(&full).set_tags(Some(fifty)).send().await.unwrap();
    c.tag_resource().key_id(&full).tags(tag("t00", "replaced")).send().await.unwrap();
    err_of(c.tag_resource().key_id(&full).tags(tag("one-more", "x")).send().await, "TagException");
    let p = c.list_resource_tags().key_id(&full).send().await.unwrap();
    assert_eq!(p.tags().len(), 50);
    assert!(!p.truncated());
    // ListResourceTags returns at most 50 a page, whatever Limit says.
    assert_eq!(c.list_resource_tags().key_id(&full).limit(1000).send().await.unwrap().tags().len(), 50);
    err_of(
        c.tag_resource().key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").tags(tag("a", "b")).send().await,
        "NotFoundException",
    );
}
