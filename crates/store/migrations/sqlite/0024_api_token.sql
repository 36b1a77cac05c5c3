-- Issue 24: personal access tokens for the JSON API. A token belongs to one account, carries
-- a subset of that account's grants (api_token_grant; a grant the account loses later is no
-- longer honoured), reads only or reads and writes, expires, and can be revoked. Only the
-- SHA-256 of the secret is kept: it is shown once, when created.

CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    -- FALSE: reads only; TRUE: reads and the main writes.
    can_write BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    revoked_at DATETIME,
    last_used_at DATETIME
);
CREATE INDEX api_token_account ON api_token (account_id);

CREATE TABLE api_token_grant (
    token_id BIGINT NOT NULL REFERENCES api_token(id),
    role TEXT NOT NULL,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    PRIMARY KEY (token_id, role, org_unit_id)
);
