#!/usr/bin/env python3
"""Kill -9 trials: does Trent keep every write it acknowledged?

Each trial starts `trent serve` on the same data directory, runs concurrent
writers (CreateKey, CreateAlias, TagResource, PutKeyPolicy, CreateGrant,
ScheduleKeyDeletion, RequestServiceQuotaIncrease, ImportKeyMaterial) through
boto3, kills the server with SIGKILL at a seeded random moment, restarts it,
and checks that every write acknowledged in this or an earlier trial is
there, and that nothing half-written is visible (every listed key
describes, every alias names a key that exists, every grant lists whole).

usage: crash-trials.py --trent PATH [--trials N] [--writers W] [--seed S] [--store postgres://...] [--json]
With --store, keys live in that PostgreSQL database (a fresh one: the run checks
everything in it) under a root key given by TRENT_ROOT_KEY.
Exit status 0 when every trial lost nothing; the last line is a summary.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import boto3
import botocore
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ACCESS_KEY = "AKIATRENTDEV00000000"
SECRET_KEY = "trent-development-secret-key-loopback-only"
ACCOUNT = "111122223333"
REGION = "us-east-1"
CONFIG = """
[quotas]
enabled = false

[service_quotas]
approval = "manual"
"""
# Adjustable quotas a writer may ask to raise (one pending request each), read from the server.
QUOTA_CODES = []
OPS = ["create_key", "create_alias", "tag", "put_policy", "create_grant", "schedule_deletion",
       "quota_increase", "import_material"]


def client(endpoint, service):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=2, read_timeout=10))


ROOT_KEY = "5a" * 32  # shared by every start on a PostgreSQL store


def start(trent, data, config, store=None):
    cmd = [trent, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--config", config]
    env = dict(os.environ)
    env.pop("TRENT_ROOT_KEY", None)
    if store:
        cmd += ["--store", store]
        env["TRENT_ROOT_KEY"] = ROOT_KEY
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    first = proc.stdout.readline()
    endpoint = next((w for w in first.split() if w.startswith("http://")), None)
    if endpoint is None:
        proc.kill()
        raise SystemExit(f"trent serve printed no endpoint: {first!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, endpoint


def policy(sid):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}]})


class Ledger:
    """What the server acknowledged, and what was in flight when it died."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}        # key id -> description
        self.aliases = {}     # alias name -> key id
        self.tags = []        # (key id, tag key, value)
        self.policies = {}    # key id -> (acknowledged sid or None, set of sids sent)
        self.grants = []      # (key id, grant id)
        self.deleting = set() # key ids
        self.requests = []    # Service Quotas request ids
        self.imported = {}    # key id -> a ciphertext made after the import
        self.acked = 0
        self.by_op = {}       # operation -> acknowledged count
        self.errors = []      # failures while the server was up: the run is void

    def add(self, op, f):
        with self.lock:
            f(self)
            self.acked += 1
            self.by_op[op] = self.by_op.get(op, 0) + 1


def writer(endpoint, ledger, rng, stop, label):
    kms, sq = client(endpoint, "kms"), client(endpoint, "service-quotas")
    mine = []  # own key ids that are not pending deletion
    n = 0
    while not stop.is_set():
        op = rng.choice(OPS) if mine else "create_key"
        n += 1
        try:
            if op == "create_key":
                desc = f"{label}-{n}"
                kid = kms.create_key(Description=desc)["KeyMetadata"]["KeyId"]
                ledger.add(op, lambda l: l.keys.__setitem__(kid, desc))
                mine.append(kid)
            elif op == "create_alias":
                kid, name = rng.choice(mine), f"alias/{label}-{n}"
                kms.create_alias(AliasName=name, TargetKeyId=kid)
                ledger.add(op, lambda l: l.aliases.__setitem__(name, kid))
            elif op == "tag":
                kid, tk = rng.choice(mine), f"t-{label}-{n}"
                kms.tag_resource(KeyId=kid, Tags=[{"TagKey": tk, "TagValue": str(n)}])
                ledger.add(op, lambda l: l.tags.append((kid, tk, str(n))))
            elif op == "put_policy":
                kid, sid = rng.choice(mine), f"S{label.replace('-', '')}{n}"
                with ledger.lock:
                    acked, sent = ledger.policies.get(kid, (None, set()))
                    ledger.policies[kid] = (acked, sent | {sid})
                kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=policy(sid))
                ledger.add(op, lambda l: l.policies.__setitem__(kid, (sid, {sid})))
            elif op == "create_grant":
                kid = rng.choice(mine)
                gid = kms.create_grant(KeyId=kid, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/r{n}",
                                       Operations=["Decrypt"])["GrantId"]
                ledger.add(op, lambda l: l.grants.append((kid, gid)))
            elif op == "schedule_deletion":
                kid = mine.pop(rng.randrange(len(mine)))
                kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=30)
                ledger.add(op, lambda l: l.deleting.add(kid))
            elif op == "quota_increase":
                if not QUOTA_CODES:
                    continue
                try:
                    rid = sq.request_service_quota_increase(
                        ServiceCode="kms", QuotaCode=rng.choice(QUOTA_CODES),
                        DesiredValue=float(100_000 + n))["RequestedQuota"]["Id"]
                except botocore.exceptions.ClientError as e:
                    if e.response["Error"]["Code"] == "ResourceAlreadyExistsException":
                        continue  # a pending request for that quota: not a write
                    raise
                ledger.add(op, lambda l: l.requests.append(rid))
            elif op == "import_material":
                kid = kms.create_key(Origin="EXTERNAL", Description=f"{label}-{n}-ext")["KeyMetadata"]["KeyId"]
                ledger.add(op, lambda l: l.keys.__setitem__(kid, f"{label}-{n}-ext"))
                p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                  WrappingKeySpec="RSA_2048")
                public = serialization.load_der_public_key(p["PublicKey"])
                wrapped = public.encrypt(os.urandom(32), padding.OAEP(
                    mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
                kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped,
                                        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
                ct = kms.encrypt(KeyId=kid, Plaintext=b"imported")["CiphertextBlob"]
                ledger.add(op, lambda l: l.imported.__setitem__(kid, ct))
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError):
            return  # the server is gone: whatever was in flight is not acknowledged
        except botocore.exceptions.ClientError as e:
            if stop.is_set():
                return
            with ledger.lock:
                ledger.errors.append(f"{label}: {op} failed while the server was up: {e}")
            return


def pages(call, key, **kw):
    marker = None
    while True:
        out = call(**kw, **({"Marker": marker} if marker else {}))
        yield from out[key]
        if not out.get("Truncated"):
            return
        marker = out["NextMarker"]


def verify(endpoint, ledger):
    """Every acknowledged write is there; nothing half-written is visible. Returns problems."""
    kms, sq = client(endpoint, "kms"), client(endpoint, "service-quotas")
    bad = []
    listed = {k["KeyId"] for k in pages(kms.list_keys, "Keys", Limit=1000)}
    for kid in listed:
        kms.describe_key(KeyId=kid)  # raises if a listed key is half there
    for kid, desc in ledger.keys.items():
        if kid not in listed:
            bad.append(f"key {kid} lost")
            continue
        md = kms.describe_key(KeyId=kid)["KeyMetadata"]
        if md["Description"] != desc:
            bad.append(f"key {kid}: description {md['Description']!r}, acknowledged {desc!r}")
        if kid in ledger.deleting and md["KeyState"] != "PendingDeletion":
            bad.append(f"key {kid}: {md['KeyState']}, deletion was acknowledged")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in pages(kms.list_aliases, "Aliases", Limit=100)}
    for name, target in aliases.items():
        if target and target not in listed:
            bad.append(f"alias {name} names a key that is not there")
    for name, kid in ledger.aliases.items():
        if aliases.get(name) != kid:
            bad.append(f"alias {name} -> {aliases.get(name)}, acknowledged -> {kid}")
    tags = {}
    for kid, tk, v in ledger.tags:
        if kid not in tags:
            tags[kid] = {t["TagKey"]: t["TagValue"] for t in pages(kms.list_resource_tags, "Tags", KeyId=kid)}
        if tags[kid].get(tk) != v:
            bad.append(f"tag {tk} on {kid} lost")
    for kid, (acked, sent) in ledger.policies.items():
        doc = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
        sid = doc["Statement"][0].get("Sid")
        if acked is not None and sid not in sent and sid != acked:
            bad.append(f"policy of {kid}: {sid}, acknowledged {acked}")
    grants = {}
    for kid, gid in ledger.grants:
        if kid not in grants:
            grants[kid] = {g["GrantId"]: g for g in pages(kms.list_grants, "Grants", KeyId=kid)}
            for g in grants[kid].values():
                if not (g.get("Operations") and g.get("GranteePrincipal") and g.get("KeyId")):
                    bad.append(f"grant {g.get('GrantId')} of {kid} is half there: {g}")
        if gid not in grants[kid]:
            bad.append(f"grant {gid} on {kid} lost")
    for rid in ledger.requests:
        try:
            sq.get_requested_service_quota_change(RequestId=rid)
        except botocore.exceptions.ClientError as e:
            bad.append(f"quota request {rid} lost: {e.response['Error']['Code']}")
    for kid, ct in ledger.imported.items():
        if kms.decrypt(CiphertextBlob=ct, KeyId=kid)["Plaintext"] != b"imported":
            bad.append(f"imported key {kid} decrypts wrongly")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trent", required=True)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", help="a fresh PostgreSQL database URL (default: SQLite in a temporary data dir)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    ledger = Ledger()
    lost = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        data, config = os.path.join(tmp, "data"), os.path.join(tmp, "trent.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        proc, endpoint = start(args.trent, data, config, args.store)
        sq = client(endpoint, "service-quotas")
        QUOTA_CODES.extend(q["QuotaCode"] for q in sq.list_service_quotas(ServiceCode="kms", MaxResults=100)["Quotas"]
                           if q.get("Adjustable"))
        try:
            for trial in range(1, args.trials + 1):
                stop = threading.Event()
                threads = [threading.Thread(target=writer, args=(endpoint, ledger, random.Random(rng.random()),
                                                                 stop, f"w{trial}-{w}"))
                           for w in range(args.writers)]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.3, 1.2))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                stop.set()
                for t in threads:
                    t.join()
                proc, endpoint = start(args.trent, data, config, args.store)
                bad = verify(endpoint, ledger) + ledger.errors
                ledger.errors = []
                lost += len(bad)
                print(f"trial {trial}: {ledger.acked} writes acknowledged so far, {len(bad)} lost"
                      + "".join(f"\n  {b}" for b in bad[:10]), flush=True)
        finally:
            proc.kill()
            proc.wait()
    summary = {"store": "postgres" if args.store else "sqlite", "trials": args.trials, "writers": args.writers,
               "seed": args.seed,
               "acknowledged": ledger.acked, "by_operation": ledger.by_op, "lost": lost,
               "seconds": round(time.monotonic() - started, 1)}
    print(json.dumps(summary) if args.json else
          f"{args.trials} trials, {ledger.acked} acknowledged writes {ledger.by_op}, {lost} lost "
          f"({summary['seconds']} s)")
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
