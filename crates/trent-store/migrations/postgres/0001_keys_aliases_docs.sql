-- Trent's PostgreSQL schema, version 1 (applied by sqlx's migrator, which
-- holds an advisory lock meanwhile, so nodes starting together cannot
-- interleave). Separate from SQLite's schema, which lives in sqlite.rs.
--
-- Listing order is byte order, as with SQLite's BINARY collation: every
-- column that is ordered, paged past (`>`) or compared is COLLATE "C",
-- whatever the database's default collation.

-- One row per key: the whole record as JSON text (`doc`, exactly as serde
-- wrote it, so floats read back bit-exact) plus the columns queries need.
CREATE TABLE keys (
    key_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    -- Compare-and-swap counter: update_key writes version N only over N - 1.
    version       BIGINT NOT NULL,
    key_state     TEXT COLLATE "C" NOT NULL,
    key_manager   TEXT COLLATE "C" NOT NULL,
    deletion_date DOUBLE PRECISION,
    -- rotation.next_rotation while automatic rotation is enabled, else NULL.
    rotation_due  DOUBLE PRECISION,
    doc           TEXT NOT NULL,
    -- Due-work claims: the node (store instance) that was handed this key's
    -- deletion / rotation, and until when no other node may be handed it.
    deletion_claim       TEXT,
    deletion_claim_until TIMESTAMPTZ,
    rotation_claim       TEXT,
    rotation_claim_until TIMESTAMPTZ
);
CREATE INDEX keys_by_scope ON keys (account_id, region, key_id);
-- The "KMS keys" resource quota counts customer managed keys per account and region.
CREATE INDEX keys_customer ON keys (account_id, region) WHERE key_manager = 'CUSTOMER';
CREATE INDEX keys_due_deletion ON keys (deletion_date) WHERE key_state = 'PendingDeletion';
CREATE INDEX keys_due_rotation ON keys (rotation_due) WHERE rotation_due IS NOT NULL;

CREATE TABLE aliases (
    account_id        TEXT COLLATE "C" NOT NULL,
    region            TEXT COLLATE "C" NOT NULL,
    alias_name        TEXT COLLATE "C" NOT NULL,
    target_key_id     TEXT COLLATE "C" NOT NULL,
    creation_date     DOUBLE PRECISION NOT NULL,
    last_updated_date DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
);
CREATE INDEX aliases_by_target ON aliases (target_key_id, alias_name);

-- Subsystem documents; `grp` is the second cap's group (the grantee of a
-- grant), fixed at insert.
CREATE TABLE docs (
    kind  TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    id    TEXT COLLATE "C" NOT NULL,
    body  TEXT NOT NULL,
    grp   TEXT COLLATE "C",
    PRIMARY KEY (kind, scope, id)
);
CREATE INDEX docs_by_group ON docs (kind, scope, grp) WHERE grp IS NOT NULL;

-- One row per counted scope of a resource quota (a JSON array such as
-- ["keys","111122223333","us-east-1"]). A capped insert locks its scopes'
-- rows (SELECT ... FOR UPDATE) before it inserts and counts, so capped
-- inserts into one scope run one at a time across every node.
CREATE TABLE cap_locks (
    scope TEXT COLLATE "C" NOT NULL PRIMARY KEY
);
