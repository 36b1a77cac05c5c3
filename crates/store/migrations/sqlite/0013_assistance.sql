-- Issue 16: assistance. Versioned assistance rule sets (every number local), hardship files
-- with their household encrypted (household, income per person, reason for leaving), and
-- each file's history. The level and the dates stay plain: figures and reminders count them.

CREATE TABLE assistance_rule_set (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    version BIGINT NOT NULL,
    numbers TEXT NOT NULL,
    note TEXT,
    created_at DATETIME NOT NULL,
    UNIQUE (org_unit_id, version)
);

CREATE TABLE hardship_file (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'exited')),
    level TEXT NOT NULL CHECK (level IN ('deep', 'relative')),
    -- The rule-set version whose income test decided the current level.
    rule_set_id BIGINT NOT NULL REFERENCES assistance_rule_set(id),
    household_enc BLOB NOT NULL,
    income_enc BLOB NOT NULL,
    exit_reason_enc BLOB,
    drafted_on DATE NOT NULL,
    drafted_by BIGINT REFERENCES account(id),
    opened_on DATE,
    confirmed_by BIGINT REFERENCES account(id),
    review_due DATE,
    exited_on DATE,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
-- One file per member that is not closed.
CREATE UNIQUE INDEX hardship_file_current ON hardship_file (member_id) WHERE status <> 'exited';
CREATE INDEX hardship_file_school ON hardship_file (school_union_id, status, review_due);

CREATE TABLE hardship_event (
    id INTEGER PRIMARY KEY,
    file_id BIGINT NOT NULL REFERENCES hardship_file(id),
    kind TEXT NOT NULL CHECK (kind IN ('drafted', 'confirmed', 'reviewed', 'exited')),
    level TEXT CHECK (level IN ('deep', 'relative')),
    rule_set_id BIGINT REFERENCES assistance_rule_set(id),
    income_enc BLOB,
    happened_on DATE NOT NULL,
    by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX hardship_event_file ON hardship_event (file_id, id);

-- The relief fund of a union (扶贫帮困基金): its balance never goes below zero (the CHECK
-- backs the guarded UPDATE that pays a grant), and every movement in its ledger.
CREATE TABLE relief_fund (
    org_unit_id BIGINT PRIMARY KEY REFERENCES org_unit(id),
    balance_fen BIGINT NOT NULL CHECK (balance_fen >= 0),
    updated_at DATETIME NOT NULL
);

CREATE TABLE relief_grant (
    id INTEGER PRIMARY KEY,
    file_id BIGINT NOT NULL REFERENCES hardship_file(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    fund_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    grant_year BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'school_approved', 'approved', 'paid')),
    rule_set_id BIGINT NOT NULL REFERENCES assistance_rule_set(id),
    reason_enc BLOB NOT NULL,
    applied_by BIGINT REFERENCES account(id),
    applied_by_label TEXT NOT NULL,
    school_approved_by BIGINT REFERENCES account(id),
    approved_by BIGINT REFERENCES account(id),
    applied_on DATE NOT NULL,
    paid_on DATE,
    created_at DATETIME NOT NULL
);
CREATE INDEX relief_grant_file ON relief_grant (file_id, grant_year);
CREATE INDEX relief_grant_school ON relief_grant (school_union_id, grant_year, status);

CREATE TABLE relief_fund_entry (
    id INTEGER PRIMARY KEY,
    fund_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('allocation', 'donation', 'grant')),
    amount_fen BIGINT NOT NULL,
    grant_id BIGINT REFERENCES relief_grant(id),
    entry_on DATE NOT NULL,
    by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX relief_fund_entry_fund ON relief_fund_entry (fund_unit_id, entry_on);
