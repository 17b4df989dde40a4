//! AWS's exact answers: each case below sends what a user might send and
//! expects the error type and message AWS answered the same request with,
//! as recorded against AWS (the messages in docs/aws-messages.md are the
//! ones no record was found for). boto3 drives the real server; every
//! mismatch is listed before the test fails. A second test walks botocore's
//! KMS model: every operation's required members and its `KeyId` length.

mod common;

use common::{TestServer, run_boto3};

const SCRIPT: &str = r#####"
import boto3, botocore
cfg = botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"}, parameter_validation=False)
kms = boto3.client("kms", config=cfg)
other = boto3.client("kms", region_name="us-west-2", config=cfg)
failures = []
def expect(name, f, code, message):
    try:
        f()
    except botocore.exceptions.ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"].get("Message", ""))
        if got != (code, message):
            failures.append(f"{name}: want {(code, message)!r}\n      got  {got!r}")
        return
    failures.append(f"{name}: no error, want {code}")

sym = kms.create_key()["KeyMetadata"]
sym_arn = sym["Arn"]
sign = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
hmac224 = kms.create_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
hmac256 = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
rsa_enc = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
west = other.create_key()["KeyMetadata"]

expect("malformed key id", lambda: kms.describe_key(KeyId="fake-key-id"), "NotFoundException", "Invalid keyId 'fake-key-id'")
expect("uuid without dashes", lambda: kms.describe_key(KeyId="134f2428cec14b25a1ae9048164dba47"), "NotFoundException", "Invalid keyId '134f2428cec14b25a1ae9048164dba47'")
expect("malformed mrk id", lambda: kms.describe_key(KeyId="mrk-fake-key-id"), "NotFoundException", "Invalid keyId 'mrk-fake-key-id'")
expect("unknown key id", lambda: kms.describe_key(KeyId="134f2428-cec1-4b25-a1ae-9048164dba47"), "NotFoundException", "Key 'arn:aws:kms:us-east-1:111122223333:key/134f2428-cec1-4b25-a1ae-9048164dba47' does not exist")
expect("other region's key by id", lambda: kms.describe_key(KeyId=west["KeyId"]), "NotFoundException", f"Key 'arn:aws:kms:us-east-1:111122223333:key/{west['KeyId']}' does not exist")
expect("other region's key by arn", lambda: kms.describe_key(KeyId=west["Arn"]), "NotFoundException", "Invalid arn us-west-2")
expect("duplicate tag keys", lambda: kms.tag_resource(KeyId=sym["KeyId"], Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]), "TagException", "Duplicate tag keys")
expect("reserved tag prefix", lambda: kms.tag_resource(KeyId=sym["KeyId"], Tags=[{"TagKey": "aws:x", "TagValue": "1"}]), "TagException", "Tags beginning with aws: are reserved")
expect("reserved tag prefix, upper case", lambda: kms.tag_resource(KeyId=sym["KeyId"], Tags=[{"TagKey": "AWS:x", "TagValue": "1"}]), "TagException", "Tags beginning with aws: are reserved")
expect("too many tags", lambda: kms.create_key(Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]), "TagException", "Too many tags")
expect("tag key too long", lambda: kms.create_key(Tags=[{"TagKey": "a" * 129, "TagValue": "v"}]), "ValidationException", "1 validation error detected: Value '" + "a" * 129 + "' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128")
expect("tag value too long", lambda: kms.create_key(Tags=[{"TagKey": "k", "TagValue": "v" * 257}]), "ValidationException", "1 validation error detected: Value '" + "v" * 257 + "' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256")
expect("alias prefix", lambda: kms.create_alias(AliasName="no-prefix", TargetKeyId=sym["KeyId"]), "ValidationException", 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html')
expect("random 0 bytes", lambda: kms.generate_random(NumberOfBytes=0), "ValidationException", "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1")
expect("random 1025 bytes", lambda: kms.generate_random(NumberOfBytes=1025), "ValidationException", "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")
expect("random without size", lambda: kms.generate_random(), "ValidationException", "NumberOfBytes is required.")
expect("hmac without usage", lambda: kms.create_key(KeySpec="HMAC_256"), "ValidationException", "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
expect("key agreement on rsa", lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT"), "ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048")
expect("mac algorithm enum", lambda: kms.generate_mac(KeyId=hmac256["KeyId"], Message=b"m", MacAlgorithm="INVALID"), "ValidationException", "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]")
expect("key agreement enum", lambda: kms.derive_shared_secret(KeyId=ecc["KeyId"], KeyAgreementAlgorithm="INVALID", PublicKey=b"x"), "ValidationException", "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]")
expect("plaintext too long", lambda: kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x" * 4097), "ValidationException", "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")
expect("rsa oaep sha1 too long", lambda: kms.encrypt(KeyId=rsa_enc["KeyId"], Plaintext=b"x" * 215, EncryptionAlgorithm="RSAES_OAEP_SHA_1"), "ValidationException", "Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes.")
expect("rsa oaep sha256 too long", lambda: kms.encrypt(KeyId=rsa_enc["KeyId"], Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256"), "ValidationException", "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.")
expect("bad digest length ecdsa", lambda: kms.sign(KeyId=ecc["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"), "ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")
expect("bad digest length pss", lambda: kms.sign(KeyId=sign["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256"), "ValidationException", "Digest is invalid length for algorithm RSASSA_PSS_SHA_256.")
expect("encrypt with a signing key", lambda: kms.encrypt(KeyId=sign["KeyId"], Plaintext=b"x"), "InvalidKeyUsageException", f"{sign['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.")
expect("mac with a symmetric key", lambda: kms.generate_mac(KeyId=sym["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"), "InvalidKeyUsageException", f"{sym_arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")
expect("verify with a symmetric key", lambda: kms.verify(KeyId=sym["KeyId"], Message=b"m", Signature=b"s", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException", f"{sym_arn} key usage is ENCRYPT_DECRYPT which is not valid for Verify.")
expect("sign with an hmac key", lambda: kms.sign(KeyId=hmac256["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException", f"{hmac256['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
expect("derive with a symmetric key", lambda: kms.derive_shared_secret(KeyId=sym["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b"x"), "InvalidKeyUsageException", f"{sym_arn} key usage is ENCRYPT_DECRYPT which is not valid for DeriveSharedSecret.")
expect("derive with a signing key", lambda: kms.derive_shared_secret(KeyId=ecc["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b"x"), "InvalidKeyUsageException", f"{ecc['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")
expect("mac algorithm vs spec", lambda: kms.generate_mac(KeyId=hmac224["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"), "InvalidKeyUsageException", "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.")
ct = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x")["CiphertextBlob"]
expect("decrypt naming another key", lambda: kms.decrypt(CiphertextBlob=ct, KeyId=hmac256["KeyId"]), "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
expect("import parameters for an AWS_KMS key", lambda: kms.get_parameters_for_import(KeyId=sym["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"), "UnsupportedOperationException", f"{sym_arn} origin is AWS_KMS which is not valid for this operation.")
ext = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
expect("encrypt before import", lambda: kms.encrypt(KeyId=ext["KeyId"], Plaintext=b"x"), "KMSInvalidStateException", f"{ext['Arn']} is pending import.")
kms.disable_key(KeyId=hmac224["KeyId"])
expect("disabled", lambda: kms.generate_mac(KeyId=hmac224["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_224"), "DisabledException", f"{hmac224['Arn']} is disabled.")
primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
replica = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
expect("replicate a replica", lambda: other.replicate_key(KeyId=replica["KeyId"], ReplicaRegion="eu-west-1"), "UnsupportedOperationException", f"{replica['Arn']} is not a multi-region primary key.")
expect("dry run", lambda: kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec="RSA_2048", DryRun=True), "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
for f in failures:
    print("MISMATCH", f)
print(f"{len(failures)} mismatches")
assert not failures, "\n".join(failures)
"#####;

/// Every operation of botocore's KMS model with required members: sent
/// without them, the answer names each one as AWS's validation does; sent
/// with a `KeyId` over the model's 2,048 characters, it says so too.
const MODEL_WALK: &str = r#####"
import boto3, botocore, botocore.session
from botocore import xform_name
cfg = botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"}, parameter_validation=False)
kms = boto3.client("kms", config=cfg)
model = botocore.session.get_session().get_service_model("kms")
failures = []
checked = 0
def lower_first(s):
    return s[:1].lower() + s[1:]
def call(op, params):
    try:
        getattr(kms, xform_name(op))(**params)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, None
for op in model.operation_names:
    shape = model.operation_model(op).input_shape
    required = list(shape.required_members) if shape else []
    # Required by the documentation rather than the model: "in all cases
    # except when DryRun is true and DryRunModifiers is IGNORE_CIPHERTEXT".
    if op == "ReEncrypt":
        required = ["CiphertextBlob"] + required
    if not required:
        continue
    checked += 1
    # Nothing given: every required member is reported, in AWS's words.
    code, message = call(op, {})
    want = [f"Value null at '{lower_first(m)}' failed to satisfy constraint: Member must not be null" for m in required]
    n = len(want)
    head = f"{n} validation error{'s' if n > 1 else ''} detected: "
    if code != "ValidationException" or not message.startswith(head) or any(w not in message for w in want):
        failures.append(f"{op} {{}}: got {code}: {message!r}")
    # A KeyId over the model's 2,048 characters, the other members missing.
    if "KeyId" in required:
        code, message = call(op, {"KeyId": "k" * 2049})
        want_len = "Value '" + "k" * 2049 + "' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        if code != "ValidationException" or not message.startswith(head) or want_len not in message:
            failures.append(f"{op} long KeyId: got {code}: {message[:300]!r}")
# Every operation of the model is served: none is unknown or unsupported.
for op in model.operation_names:
    code, message = call(op, {})
    if code in ("UnknownOperationException", "UnsupportedOperationException"):
        failures.append(f"{op} is not served: {code}: {message!r}")
print(f"served {len(model.operation_names)} operations")
for f in failures:
    print("MISMATCH", f)
print(f"{checked} operations, {len(failures)} mismatches")
assert not failures, "\n".join(failures)
"#####;

#[test]
fn every_operation_reports_missing_members_and_long_key_ids_as_aws_does() {
    let server = TestServer::start_unthrottled();
    run_boto3(&server, MODEL_WALK, "mismatches");
}

#[test]
fn the_readme_counts_the_operations_of_the_model() {
    // The model in the venv (botocore's current KMS model) has 56 operations;
    // the walk above checks that each one is served.
    let out = std::process::Command::new(common::venv_bin("python"))
        .args(["-c", "import botocore.session; print(len(botocore.session.get_session().get_service_model('kms').operation_names))"])
        .output()
        .expect("python");
    let count = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let readme = std::fs::read_to_string(common::workspace_root().join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("all {count} operations of the KMS API")),
        "README must say all {count} operations"
    );
}

#[test]
fn errors_match_the_answers_recorded_from_aws() {
    let server = TestServer::start_unthrottled();
    run_boto3(&server, SCRIPT, "0 mismatches");
}
