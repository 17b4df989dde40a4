"""Writes a wrk Lua script that replays one SigV4-signed KMS request.

The server verifies the signature of every request it receives, so replaying
one signed request measures the full per-request cost (SigV4 verification,
JSON codec, the operation) without the load generator signing anything.
A signature stays valid for the 5-minute clock-skew window.

usage: presign.py ENDPOINT OPERATION JSON_BODY OUT.lua
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, operation, body, out = sys.argv[1:5]
creds = Credentials("AKIATRENTDEV00000000", "trent-development-secret-key-loopback-only")
req = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(),
                 headers={"Content-Type": "application/x-amz-json-1.1",
                          "X-Amz-Target": "TrentService." + operation})
SigV4Auth(creds, "kms", "us-east-1").add_auth(req)
lines = ['wrk.method = "POST"', "wrk.body = " + json.dumps(body)]
for k, v in req.headers.items():
    if k.lower() in ("host", "content-length"):
        continue
    lines.append('wrk.headers["%s"] = %s' % (k, json.dumps(v)))
open(out, "w").write("\n".join(lines) + "\n")
