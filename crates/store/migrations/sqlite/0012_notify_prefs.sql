-- Issue 15: reminders from the areas' due items. Each account chooses per kind of reminder
-- whether it also goes by e-mail (the inbox is always on; quiet hours and the daily digest
-- are the columns of notify_pref from 0010), and the entries waiting for an account's
-- daily digest.

CREATE TABLE notify_kind_pref (
    account_id BIGINT NOT NULL REFERENCES account(id),
    kind TEXT NOT NULL CHECK (kind IN ('proposal_reply', 'term_expiring', 'congress_not_held', 'poll_open')),
    email BOOLEAN NOT NULL,
    PRIMARY KEY (account_id, kind)
);

-- A reminder held for the account's digest: the message (kind, declared arguments, link,
-- as JSON; never a rendered text), once per reminder step (unique key), until the daily
-- digest bundles it into one e-mail job (digested_at).
CREATE TABLE digest_entry (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account(id),
    message TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL,
    digested_at DATETIME
);
CREATE INDEX digest_entry_pending ON digest_entry (digested_at, account_id, id);
