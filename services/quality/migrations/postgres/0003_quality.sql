-- Customer-service quality: standards (versioned), inspection reports, disputes,
-- scripted-reply templates, experiments and their outcomes. Times are microseconds
-- since the Unix epoch; protobuf bodies are stored hex-encoded in TEXT (the sqlx Any
-- driver carries no BLOBs); booleans are 0/1 integers.
CREATE TABLE IF NOT EXISTS quality_standards (
    id               TEXT PRIMARY KEY,
    display_name     TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    touchpoint_type  BIGINT NOT NULL,
    current_version  BIGINT NOT NULL,
    create_time      BIGINT NOT NULL,
    update_time      BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    request_key      TEXT UNIQUE
);

-- Immutable: a version, once written, is never changed.
CREATE TABLE IF NOT EXISTS quality_standard_versions (
    standard_id  TEXT NOT NULL REFERENCES quality_standards (id),
    version_no   BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    PRIMARY KEY (standard_id, version_no)
);

CREATE TABLE IF NOT EXISTS quality_reports (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL DEFAULT '',
    customer           TEXT NOT NULL DEFAULT '',
    agent              TEXT NOT NULL,
    team               TEXT NOT NULL DEFAULT '',
    standard_id        TEXT NOT NULL,
    standard_version   BIGINT NOT NULL,
    conversation_id    TEXT NOT NULL,
    conversation_time  BIGINT NOT NULL,
    score              DOUBLE PRECISION NOT NULL,
    auto_failed        BIGINT NOT NULL,
    review_state       BIGINT NOT NULL,
    body               TEXT NOT NULL,
    create_time        BIGINT NOT NULL,
    update_time        BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    request_key        TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS quality_reports_review ON quality_reports (review_state, id);
CREATE INDEX IF NOT EXISTS quality_reports_agent ON quality_reports (agent, conversation_time);
CREATE INDEX IF NOT EXISTS quality_reports_team ON quality_reports (team, conversation_time);
CREATE INDEX IF NOT EXISTS quality_reports_customer ON quality_reports (customer_id, id);
CREATE INDEX IF NOT EXISTS quality_reports_standard ON quality_reports (standard_id, review_state);

CREATE TABLE IF NOT EXISTS quality_disputes (
    id               TEXT PRIMARY KEY,
    report_id        TEXT NOT NULL REFERENCES quality_reports (id),
    agent            TEXT NOT NULL,
    state            BIGINT NOT NULL,
    body             TEXT NOT NULL,
    create_time      BIGINT NOT NULL,
    update_time      BIGINT NOT NULL,
    request_key      TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS quality_disputes_report ON quality_disputes (report_id, id);
CREATE INDEX IF NOT EXISTS quality_disputes_state ON quality_disputes (state, id);

CREATE TABLE IF NOT EXISTS quality_templates (
    id           TEXT PRIMARY KEY,
    scenario     TEXT NOT NULL,
    body         TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    request_key  TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS quality_templates_scenario ON quality_templates (scenario, id);

CREATE TABLE IF NOT EXISTS quality_experiments (
    id           TEXT PRIMARY KEY,
    template_id  TEXT NOT NULL REFERENCES quality_templates (id),
    body         TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    request_key  TEXT UNIQUE
);

-- One outcome per conversation and experiment; has_* flag the optional figures.
CREATE TABLE IF NOT EXISTS quality_outcomes (
    id               TEXT PRIMARY KEY,
    experiment_id    TEXT NOT NULL REFERENCES quality_experiments (id),
    conversation_id  TEXT NOT NULL,
    customer_key     TEXT NOT NULL,
    variant_id       TEXT NOT NULL,
    has_qa_score     BIGINT NOT NULL,
    qa_score         DOUBLE PRECISION NOT NULL,
    has_csat         BIGINT NOT NULL,
    csat             BIGINT NOT NULL,
    has_resolved     BIGINT NOT NULL,
    resolved         BIGINT NOT NULL,
    create_time      BIGINT NOT NULL,
    request_key      TEXT UNIQUE,
    UNIQUE (experiment_id, conversation_id)
);
