-- Labs, members, signer keys, proposals, test plans and runs, the hash-chained log,
-- access records and releases. Times are microseconds since the Unix epoch; `version`
-- backs the etag; `request_key` makes creates idempotent. Every child row carries its
-- lab, and every statement names it.
CREATE TABLE labs (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    -- The log's counter row: appends lock it, so sequence numbers are gap-free and
    -- commit in order even with several replicas.
    last_seq      INTEGER NOT NULL DEFAULT 0,
    last_hash     TEXT NOT NULL,
    create_time   INTEGER NOT NULL,
    update_time   INTEGER NOT NULL,
    delete_time   INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);
CREATE INDEX labs_customer ON labs (customer_id, id);

CREATE TABLE members (
    id            TEXT NOT NULL,
    lab_id        TEXT NOT NULL REFERENCES labs (id),
    key_person    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    org           TEXT NOT NULL,
    roles         TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    create_time   INTEGER NOT NULL,
    update_time   INTEGER NOT NULL,
    delete_time   INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE,
    PRIMARY KEY (lab_id, id),
    UNIQUE (lab_id, org, subject)
);
CREATE INDEX members_subject ON members (org, subject, lab_id);

CREATE TABLE signer_keys (
    id             TEXT NOT NULL,
    lab_id         TEXT NOT NULL REFERENCES labs (id),
    member_id      TEXT NOT NULL,
    subject        TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    create_time    INTEGER NOT NULL,
    PRIMARY KEY (lab_id, id)
);

CREATE TABLE proposals (
    id                 TEXT NOT NULL,
    lab_id             TEXT NOT NULL REFERENCES labs (id),
    title              TEXT NOT NULL,
    author             TEXT NOT NULL,
    latest_revision    INTEGER NOT NULL DEFAULT 1,
    vendor_approved    INTEGER NOT NULL DEFAULT 0,
    customer_approved  INTEGER NOT NULL DEFAULT 0,
    create_time        INTEGER NOT NULL,
    update_time        INTEGER NOT NULL,
    delete_time        INTEGER,
    version            INTEGER NOT NULL DEFAULT 1,
    request_key        TEXT UNIQUE,
    PRIMARY KEY (lab_id, id)
);

-- `parent` is `{lab}/{proposal}`; `id` the zero-padded revision number.
CREATE TABLE proposal_revisions (
    parent       TEXT NOT NULL,
    id           TEXT NOT NULL,
    number       INTEGER NOT NULL,
    content      TEXT NOT NULL,
    author       TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    PRIMARY KEY (parent, id)
);

CREATE TABLE proposal_comments (
    parent       TEXT NOT NULL,
    id           TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    request_key  TEXT UNIQUE,
    PRIMARY KEY (parent, id)
);

CREATE TABLE test_plans (
    id           TEXT NOT NULL,
    lab_id       TEXT NOT NULL REFERENCES labs (id),
    title        TEXT NOT NULL,
    cases        TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    update_time  INTEGER NOT NULL,
    delete_time  INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    request_key  TEXT UNIQUE,
    PRIMARY KEY (lab_id, id)
);

-- `parent` is `{lab}/{test_plan}`.
CREATE TABLE test_runs (
    parent       TEXT NOT NULL,
    id           TEXT NOT NULL,
    results      TEXT NOT NULL,
    outcome      INTEGER NOT NULL,
    author       TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    request_key  TEXT UNIQUE,
    PRIMARY KEY (parent, id)
);

-- Append-only and hash-chained: hash = sha256(prev_hash || canonical entry).
CREATE TABLE log_entries (
    lab_id       TEXT NOT NULL REFERENCES labs (id),
    seq          INTEGER NOT NULL,
    component    TEXT NOT NULL,
    message      TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    author       TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (lab_id, seq)
);

-- One row per appended batch with a request id: a retry returns the same entries.
CREATE TABLE log_batches (
    request_key  TEXT PRIMARY KEY,
    lab_id       TEXT NOT NULL,
    first_seq    INTEGER NOT NULL,
    count        INTEGER NOT NULL
);

CREATE TABLE access_records (
    id           TEXT NOT NULL,
    lab_id       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    org          TEXT NOT NULL,
    method       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    access_time  INTEGER NOT NULL,
    PRIMARY KEY (lab_id, id)
);

CREATE TABLE releases (
    id               TEXT NOT NULL,
    lab_id           TEXT NOT NULL REFERENCES labs (id),
    release_version  TEXT NOT NULL,
    artifacts        TEXT NOT NULL,
    notes            TEXT NOT NULL,
    required_roles   TEXT NOT NULL,
    statement        TEXT NOT NULL,
    state            INTEGER NOT NULL,
    publish_time     INTEGER,
    create_time      INTEGER NOT NULL,
    update_time      INTEGER NOT NULL,
    delete_time      INTEGER,
    version          INTEGER NOT NULL DEFAULT 1,
    request_key      TEXT UNIQUE,
    PRIMARY KEY (lab_id, id)
);

-- Each signer (member) counts once per release.
CREATE TABLE release_signatures (
    lab_id       TEXT NOT NULL,
    release_id   TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    roles        TEXT NOT NULL,
    sig          TEXT NOT NULL,
    sign_time    INTEGER NOT NULL,
    PRIMARY KEY (lab_id, release_id, key_id),
    UNIQUE (lab_id, release_id, member_id)
);
