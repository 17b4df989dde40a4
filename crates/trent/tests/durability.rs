//! What Trent acknowledged survives SIGKILL: keys, aliases, rotations, tags,
//! states, and the root key that opens the material.

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::Tag;
use common::TestServer;

#[tokio::test]
async fn everything_acknowledged_survives_kill_9() {
    let server = TestServer::start();
    let kms = server.kms_client().await;
    let mut keys = Vec::new();
    for i in 0..5 {
        let k = kms
            .create_key()
            .description(format!("durable {i}"))
            .tags(Tag::builder().tag_key("n").tag_value(i.to_string()).build().expect("tag"))
            .send()
            .await
            .expect("create");
        let id = k.key_metadata().expect("md").key_id().to_owned();
        kms.create_alias().alias_name(format!("alias/durable-{i}")).target_key_id(&id).send().await.expect("alias");
        let ct = kms.encrypt().key_id(&id).plaintext(Blob::new(format!("pt{i}"))).send().await.expect("encrypt");
        keys.push((id, ct.ciphertext_blob().expect("ct").clone()));
    }
    let (rotated, _) = &keys[0];
    kms.rotate_key_on_demand().key_id(rotated).send().await.expect("rotate");
    kms.enable_key_rotation().key_id(rotated).rotation_period_in_days(100).send().await.expect("enable rotation");
    kms.disable_key().key_id(&keys[1].0).send().await.expect("disable");
    kms.schedule_key_deletion().key_id(&keys[2].0).pending_window_in_days(7).send().await.expect("schedule");
    kms.tag_resource()
        .key_id(&keys[3].0)
        .tags(Tag::builder().tag_key("late").tag_value("yes").build().expect("tag"))
        .send()
        .await
        .expect("tag");
    kms.update_alias().alias_name("alias/durable-4").target_key_id(&keys[3].0).send().await.expect("update alias");

    let server = server.kill9_and_restart();
    let kms = server.kms_client().await;

    let listed = kms.list_keys().send().await.expect("list");
    assert_eq!(listed.keys().len(), 5);
    for (i, (id, ct)) in keys.iter().enumerate() {
        let md = kms.describe_key().key_id(id).send().await.expect("describe").key_metadata().expect("md").clone();
        assert_eq!(md.description(), Some(format!("durable {i}").as_str()));
        let state = md.key_state().expect("state").as_str().to_owned();
        let expected = match i {
            1 => "Disabled",
            2 => "PendingDeletion",
            _ => "Enabled",
        };
        assert_eq!(state, expected, "key {i}");
        if expected == "Enabled" {
            let pt = kms.decrypt().ciphertext_blob(ct.clone()).send().await.expect("decrypt after restart");
            assert_eq!(pt.plaintext().expect("pt").as_ref(), format!("pt{i}").as_bytes());
        }
    }
    let rotations = kms.list_key_rotations().key_id(rotated).send().await.expect("rotations");
    assert_eq!(rotations.rotations().len(), 1);
    let status = kms.get_key_rotation_status().key_id(rotated).send().await.expect("status");
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(100));
    let tags = kms.list_resource_tags().key_id(&keys[3].0).send().await.expect("tags");
    let mut names: Vec<&str> = tags.tags().iter().map(|t| t.tag_key()).collect();
    names.sort();
    assert_eq!(names, ["late", "n"]);
    let aliases = kms.list_aliases().send().await.expect("aliases");
    assert_eq!(aliases.aliases().len(), 5);
    let a4 = aliases.aliases().iter().find(|a| a.alias_name() == Some("alias/durable-4")).expect("alias 4");
    assert_eq!(a4.target_key_id(), Some(keys[3].0.as_str()));
    // The root key persisted too: a new key and the old ones coexist.
    let enc = kms
        .encrypt()
        .key_id("alias/durable-0")
        .plaintext(Blob::new("after"))
        .send()
        .await
        .expect("encrypt after restart");
    assert_eq!(enc.key_id(), Some(format!("arn:aws:kms:us-east-1:111122223333:key/{}", keys[0].0).as_str()));
}

#[test]
fn root_key_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start();
    let mode = std::fs::metadata(server.data_dir().join("root.key")).expect("root.key").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
