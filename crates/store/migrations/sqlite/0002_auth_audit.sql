-- Accounts, grants, sessions, login throttling, one-time links, second factor, audit log.
-- SQLite flavour; postgres/0002_auth_audit.sql is the twin.
CREATE TABLE account (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    member_id BIGINT REFERENCES member(id),
    password_hash TEXT,
    totp_secret_enc BLOB,
    totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT,
    locale TEXT CHECK (locale IN ('zh-CN', 'en')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME NOT NULL,
    password_changed_at DATETIME
);
CREATE INDEX account_member ON account (member_id);

CREATE TABLE role_grant (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    role TEXT NOT NULL CHECK (role IN ('platform_admin', 'union_staff', 'area_lead', 'school_chair', 'committee_member', 'finance_officer', 'auditor', 'proposals_committee', 'handling_department', 'delegate', 'member')),
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    created_at DATETIME NOT NULL,
    created_by BIGINT,
    UNIQUE (account_id, role, org_unit_id)
);
CREATE INDEX role_grant_org_unit ON role_grant (org_unit_id);

-- The cookie holds a random id; the table holds only its SHA-256.
CREATE TABLE session (
    id_hash BLOB PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    created_at DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    second_factor_done BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT
);
CREATE INDEX session_account ON session (account_id);
CREATE INDEX session_expires ON session (expires_at);

-- Failure counters per account name and per client address (kept even for names that do
-- not exist, so that the answer does not reveal which exist).
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until DATETIME,
    updated_at DATETIME NOT NULL
);

CREATE TABLE one_time_token (
    token_hash BLOB PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'reset')),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME
);
CREATE INDEX one_time_token_account ON one_time_token (account_id);

CREATE TABLE recovery_code (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    code_hash BLOB NOT NULL,
    used_at DATETIME
);
CREATE INDEX recovery_code_account ON recovery_code (account_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at DATETIME NOT NULL,
    account_id BIGINT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT,
    org_unit_id BIGINT,
    changes TEXT NOT NULL,
    request_id TEXT,
    hash BLOB NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, seq);
CREATE INDEX audit_log_account ON audit_log (account_id, seq);
CREATE INDEX audit_log_at ON audit_log (at, seq);

-- The last record written; appends lock this row so that the chain stays linear.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- Append-only: the application never updates or deletes audit records.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
