-- Issue 12: an account is bound to a member who holds a personal role (a delegate mandate)
-- only by that member's own confirmation: a code sent to the phone on the roster (the `sms`
-- channel of the outbox), entered by whoever holds the new account. The code is kept as a
-- hash for checking and, until the text message has gone out, sealed (row-bound) for
-- sending; it is never on a page or in a log. A phone number changed recently is not the
-- member's own channel yet: `phone_changed_at` records when it last changed (NULL: as
-- loaded with the roster).

ALTER TABLE member ADD COLUMN phone_changed_at DATETIME;

CREATE TABLE link_request (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    code_hash BLOB NOT NULL,
    -- Sealed to this row; wiped (NULL) once the text message has been handed to the gateway.
    code_enc BLOB,
    attempts BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'void')),
    requested_by BIGINT REFERENCES account(id),
    requested_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    sent_at DATETIME,
    closed_at DATETIME
);
CREATE INDEX link_request_account ON link_request (account_id, status);
CREATE INDEX link_request_member ON link_request (member_id, status);

-- The outbox gains the text-message channel. SQLite cannot change a CHECK list in place:
-- the table is rebuilt with the same columns in the same order (nothing references it).
CREATE TABLE job_new (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('robot', 'email', 'webhook', 'sms')),
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
INSERT INTO job_new SELECT id, channel, idempotency_key, org_unit_id, account_id, payload, status, attempts, max_attempts, run_at, locked_by, locked_until, last_error, created_at, finished_at FROM job;
DROP TABLE job;
ALTER TABLE job_new RENAME TO job;
CREATE INDEX job_due ON job (status, run_at, id);
CREATE INDEX job_org_unit ON job (org_unit_id, status);
