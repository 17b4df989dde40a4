//! The request layer of a real `trent serve`: every model limit at its
//! boundary (ValidationException with AWS's wording), SigV4 refusals, the raw
//! AWS JSON 1.1 protocol (unknown operations, missing authentication), and
//! malformed input answered as client errors without internal detail.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};
use common::api::{assert_no_internals, decrypt, encrypt, err_of, expect_err, new_key, raw_http, validation};
use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer};

#[tokio::test]
async fn every_model_limit_is_enforced_at_its_boundary() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;

    // Plaintext 1–4096 bytes.
    let ct = encrypt(&c, &id, &[7u8; 4096]).await;
    assert_eq!(decrypt(&c, &ct).await, vec![7u8; 4096]);
    encrypt(&c, &id, &[1u8]).await;
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new(vec![0u8; 4097])).send().await,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new(Vec::new())).send().await,
        "ValidationException",
        &validation(
            "Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.encrypt().key_id(&id).send().await,
        "ValidationException",
        &validation("Value null at 'plaintext' failed to satisfy constraint: Member must not be null"),
    );

    // CiphertextBlob 1–6144 bytes (a 6144-byte blob passes validation and fails as a ciphertext).
    err_of(c.decrypt().ciphertext_blob(Blob::new(vec![1u8; 6144])).send().await, "InvalidCiphertextException");
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(vec![1u8; 6145])).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
        ),
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(Vec::new())).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.decrypt().send().await,
        "ValidationException",
        &validation("Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null"),
    );
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(vec![1u8; 6145])).destination_key_id(&id).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
        ),
    );

    // NumberOfBytes 1–1024.
    let nob_low = validation(
        "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    let nob_high = validation(
        "Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    expect_err(c.generate_data_key().key_id(&id).number_of_bytes(0).send().await, "ValidationException", &nob_low);
    expect_err(c.generate_data_key().key_id(&id).number_of_bytes(1025).send().await, "ValidationException", &nob_high);
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(0).send().await,
        "ValidationException",
        &nob_low,
    );
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(1025).send().await,
        "ValidationException",
        &nob_high,
    );
    c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(1024).send().await.unwrap();
    expect_err(c.generate_random().number_of_bytes(0).send().await, "ValidationException", &nob_low);
    expect_err(c.generate_random().number_of_bytes(1025).send().await, "ValidationException", &nob_high);
    expect_err(
        c.generate_random().number_of_bytes(-1).send().await,
        "ValidationException",
        &nob_low.replace("'0'", "'-1'"),
    );

    // Several violations are reported together, as AWS does.
    expect_err(
        c.generate_data_key().number_of_bytes(0).send().await,
        "ValidationException",
        "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );

    // KeyId 1–2048 characters.
    let long_id = "k".repeat(2049);
    expect_err(
        c.describe_key().key_id(&long_id).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{long_id}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"
        )),
    );
    err_of(c.describe_key().key_id("k".repeat(2048)).send().await, "NotFoundException");
    expect_err(
        c.describe_key().key_id("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.describe_key().send().await,
        "ValidationException",
        &validation("Value null at 'keyId' failed to satisfy constraint: Member must not be null"),
    );
    err_of(c.encrypt().key_id(&long_id).plaintext(Blob::new("x")).send().await, "ValidationException");
    err_of(c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&long_id).send().await, "ValidationException");
    err_of(c.enable_key().key_id(&long_id).send().await, "ValidationException");
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id(&long_id).send().await,
        "ValidationException",
    );

    // Description 0–8192 characters.
    let d8192 = "d".repeat(8192);
    let md = c.create_key().description(&d8192).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.description(), Some(d8192.as_str()));
    let d8193 = "d".repeat(8193);
    let too_long = validation(&format!(
        "Value '{d8193}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192"
    ));
    expect_err(c.create_key().description(&d8193).send().await, "ValidationException", &too_long);
    expect_err(
        c.update_key_description().key_id(&id).description(&d8193).send().await,
        "ValidationException",
        &too_long,
    );
    c.update_key_description().key_id(&id).description(&d8192).send().await.unwrap();

    // Policy: 1–131072 characters of tab, LF, CR and U+0020–U+00FF.
    let pattern_violation = |v: &str| {
        validation(&format!(
            "Value '{v}' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
        ))
    };
    let emoji = "{\"Statement\": [], \"Sid\": \"\u{1F600}\"}";
    expect_err(
        c.put_key_policy().key_id(&id).policy(emoji).send().await,
        "ValidationException",
        &pattern_violation(emoji),
    );
    expect_err(c.create_key().policy(emoji).send().await, "ValidationException", &pattern_violation(emoji));
    let latin1 = "{\"Statement\": {\"Sid\": \"caf\u{e9} \u{ff}\",\t\r\n \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"111122223333\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}}";
    c.put_key_policy().key_id(&id).policy(latin1).send().await.unwrap();
    assert_eq!(c.get_key_policy().key_id(&id).send().await.unwrap().policy(), Some(latin1));
    expect_err(
        c.put_key_policy().key_id(&id).policy("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.put_key_policy().key_id(&id).policy("p".repeat(131_073)).send().await, "ValidationException");
    // PolicyName: 1–128 word characters.
    err_of(c.get_key_policy().key_id(&id).policy_name("de fault").send().await, "ValidationException");
    err_of(c.get_key_policy().key_id(&id).policy_name("d".repeat(129)).send().await, "ValidationException");

    // Grant tokens: 0–10 tokens of 1–8192 characters.
    let tokens = |n: usize, len: usize| (0..n).map(|i| format!("{i}{}", "t".repeat(len - 1))).collect::<Vec<_>>();
    // Ten tokens of 8,192 characters pass the model's checks; made-up tokens then fail as tokens.
    err_of(
        c.encrypt().key_id(&id).plaintext(Blob::new("g")).set_grant_tokens(Some(tokens(10, 8192))).send().await,
        "InvalidGrantTokenException",
    );
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("g")).set_grant_tokens(Some(tokens(11, 5))).send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
        ),
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).set_grant_tokens(Some(tokens(1, 8193))).send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens.1.member' failed to satisfy constraint: Member must have length less than or equal to 8192",
        ),
    );
    expect_err(
        c.generate_data_key().key_id(&id).number_of_bytes(1).grant_tokens("").send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.describe_key().key_id(&id).set_grant_tokens(Some(tokens(11, 1))).send().await, "ValidationException");

    // Limit 1–1000 and Marker 1–1024 characters of U+0020–U+00FF on every List operation.
    let limit0 = validation(
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    let limit1001 = validation(
        "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    expect_err(c.list_keys().limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_keys().limit(1001).send().await, "ValidationException", &limit1001);
    c.list_keys().limit(1000).send().await.unwrap();
    expect_err(c.list_aliases().limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_aliases().limit(1001).send().await, "ValidationException", &limit1001);
    expect_err(c.list_resource_tags().key_id(&id).limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_key_policies().key_id(&id).limit(1001).send().await, "ValidationException", &limit1001);
    expect_err(c.list_key_rotations().key_id(&id).limit(0).send().await, "ValidationException", &limit0);
    expect_err(
        c.list_keys().marker("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    let m1025 = "m".repeat(1025);
    expect_err(
        c.list_keys().marker(&m1025).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{m1025}' at 'marker' failed to satisfy constraint: Member must have length less than or equal to 1024"
        )),
    );
    expect_err(
        c.list_aliases().marker("snow\u{2603}").send().await,
        "ValidationException",
        &validation(
            "Value 'snow\u{2603}' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
        ),
    );

    // RotationPeriodInDays 90–2560.
    expect_err(
        c.enable_key_rotation().key_id(&id).rotation_period_in_days(89).send().await,
        "ValidationException",
        &validation(
            "Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
        ),
    );
    expect_err(
        c.enable_key_rotation().key_id(&id).rotation_period_in_days(2561).send().await,
        "ValidationException",
        &validation(
            "Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
        ),
    );
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(2560).send().await.unwrap();
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(90).send().await.unwrap();

    // Enumerations.
    expect_err(
        c.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::from("AES"))
            .send()
            .await,
        "ValidationException",
        &validation(
            "Value 'AES' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
        ),
    );
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::from("AES_512")).send().await,
        "ValidationException",
        &validation(
            "Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
        ),
    );
}

#[tokio::test]
async fn bad_signatures_and_unknown_access_keys_are_refused() {
    let s = TestServer::start_unthrottled();
    let good = s.kms_client().await;
    let (id, _) = new_key(&good).await;

    let wrong_secret = s.kms_client_as(DEV_ACCESS_KEY_ID, "not-the-secret", REGION, 1).await;
    expect_err(
        wrong_secret.describe_key().key_id(&id).send().await,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
    err_of(wrong_secret.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await, "InvalidSignatureException");
    err_of(wrong_secret.list_keys().send().await, "InvalidSignatureException");

    let stranger = s.kms_client_as("AKIAUNKNOWN000000000", DEV_SECRET_ACCESS_KEY, REGION, 1).await;
    expect_err(
        stranger.list_keys().send().await,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    err_of(stranger.create_key().send().await, "UnrecognizedClientException");

    // Nothing was created or counted by the refused requests.
    assert_eq!(good.list_keys().send().await.unwrap().keys().len(), 1);
    assert_eq!(s.op_count("CreateKey"), 1);
}

#[tokio::test]
async fn raw_protocol_unknown_operation_and_missing_authentication() {
    let s = TestServer::start_unthrottled();

    // An unknown operation: 400 and UnknownOperationException, before any signature check.
    let (status, head, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.NoSuchOp\r\nContent-Type: application/x-amz-json-1.1\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{head}\n{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/x-amz-json-1.1"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], "UnknownOperationException", "{body}");
    assert_no_internals(&body);

    // No target at all, and another service's prefix.
    for target in ["", "X-Amz-Target: DynamoDB_20120810.ListTables\r\n"] {
        let (status, _, body) = raw_http(
            &s.endpoint,
            &format!("POST / HTTP/1.1\r\n{target}Content-Type: application/x-amz-json-1.1\r\n"),
            b"{}",
        );
        assert_eq!(status, 400);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["__type"], "UnknownOperationException");
    }

    // A real operation without a signature.
    let (status, _, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], "MissingAuthenticationTokenException");
    assert_eq!(json["message"], "Missing Authentication Token");

    // A garbage Authorization header is refused without detail about internals.
    let (status, _, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 nonsense\r\nX-Amz-Date: 20240101T000000Z\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{body}");
    assert_no_internals(&body);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["__type"].is_string());
}

#[tokio::test]
async fn malformed_request_bodies_are_client_errors_without_internals() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;
    // A ciphertext of every length up to the header, and random junk, never crash or leak.
    for len in [1usize, 2, 17, 49, 61, 77, 100, 6144] {
        let junk: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        err_of(c.decrypt().ciphertext_blob(Blob::new(junk.clone())).send().await, "InvalidCiphertextException");
        err_of(
            c.decrypt().ciphertext_blob(Blob::new(junk.clone())).key_id(&id).send().await,
            "InvalidCiphertextException",
        );
        err_of(
            c.re_encrypt().ciphertext_blob(Blob::new(junk)).destination_key_id(&id).send().await,
            "InvalidCiphertextException",
        );
    }
    // Every error so far was counted as an error, never as a success.
    assert_eq!(s.op_count("Decrypt"), 0);
    assert!(s.count("Decrypt", "error") >= 16);
}
