-- Issue 15: the durable outbox (jobs written in the transaction of the change that causes
-- them), the lease rows that make a scheduled run happen once across processes, the inbox,
-- the group robots of org units and each account's channel preferences.

CREATE TABLE job (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('robot', 'email', 'webhook')),
    -- Unique: enqueuing the same send twice is no change, and the receiver gets the key.
    idempotency_key TEXT NOT NULL UNIQUE,
    org_unit_id BIGINT REFERENCES org_unit(id),
    account_id BIGINT REFERENCES account(id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ready', 'running', 'done', 'parked')),
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at DATETIME NOT NULL,
    locked_by TEXT,
    locked_until DATETIME,
    last_error TEXT,
    created_at DATETIME NOT NULL,
    finished_at DATETIME
);
CREATE INDEX job_due ON job (status, run_at, id);
CREATE INDEX job_org_unit ON job (org_unit_id, status);

-- One row per (schedule, slot): the process that writes it (or takes over an expired
-- lease) runs that occurrence; the others see the row and skip it.
CREATE TABLE schedule_run (
    schedule TEXT NOT NULL,
    slot DATETIME NOT NULL,
    owner TEXT NOT NULL,
    lease_until DATETIME NOT NULL,
    finished_at DATETIME,
    PRIMARY KEY (schedule, slot)
);

CREATE TABLE inbox_item (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    org_unit_id BIGINT REFERENCES org_unit(id),
    message TEXT NOT NULL,
    args TEXT NOT NULL,
    link TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL,
    read_at DATETIME
);
CREATE INDEX inbox_item_account ON inbox_item (account_id, id);
CREATE INDEX inbox_item_unread ON inbox_item (account_id, read_at);

-- The webhook URL carries the robot's key, so it is stored encrypted like other secrets.
CREATE TABLE group_robot (
    org_unit_id BIGINT PRIMARY KEY REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    url_enc BLOB NOT NULL,
    secret_enc BLOB,
    updated_at DATETIME NOT NULL,
    updated_by BIGINT
);

CREATE TABLE notify_pref (
    account_id BIGINT PRIMARY KEY REFERENCES account(id),
    email TEXT,
    email_on BOOLEAN NOT NULL DEFAULT FALSE,
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    quiet_start TEXT,
    quiet_end TEXT,
    updated_at DATETIME NOT NULL
);
