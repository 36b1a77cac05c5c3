-- Issue 21: closed months (a closed month refuses every change), correction entries (a
-- correction is a new entry pointing at the one it corrects, signed: red ink lowers the
-- corrected amount, so the ledger's sums stay sums of entries), and receipts as files on
-- expenses (type checked by content, size-limited, served only in the entry's scope).
-- SQLite cannot alter a CHECK: funds_entry is rebuilt with `amount_fen <> 0` and the new
-- column, its rows and index kept.

CREATE TABLE funds_closed_month (
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    closed_month DATE NOT NULL,
    closed_by_label TEXT NOT NULL,
    closed_at DATETIME NOT NULL,
    PRIMARY KEY (school_union_id, closed_month)
);

CREATE TABLE funds_entry_new (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    entry_year BIGINT NOT NULL,
    entry_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('income', 'expense')),
    category TEXT CHECK (category IN ('member_activities', 'rights_protection', 'operations', 'capital', 'undertakings', 'other')),
    source TEXT CHECK (source IN ('dues', 'union_fund', 'subsidy', 'other_income')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen <> 0),
    status TEXT NOT NULL CHECK (status IN ('entered', 'approved')),
    note TEXT NOT NULL,
    levy_id BIGINT REFERENCES funds_levy(id),
    -- The rule-set version in force when the entry was decided.
    rule_set_id BIGINT NOT NULL REFERENCES funds_rule_set(id),
    entered_by BIGINT REFERENCES account(id),
    entered_by_label TEXT NOT NULL,
    approved_by BIGINT REFERENCES account(id),
    approved_by_label TEXT,
    approved_on DATE,
    created_at DATETIME NOT NULL,
    corrects_id BIGINT REFERENCES funds_entry(id)
);
INSERT INTO funds_entry_new (id, school_union_id, entry_year, entry_on, kind, category, source, amount_fen, status, note, levy_id, rule_set_id, entered_by, entered_by_label, approved_by, approved_by_label, approved_on, created_at)
SELECT id, school_union_id, entry_year, entry_on, kind, category, source, amount_fen, status, note, levy_id, rule_set_id, entered_by, entered_by_label, approved_by, approved_by_label, approved_on, created_at FROM funds_entry;
DROP TABLE funds_entry;
ALTER TABLE funds_entry_new RENAME TO funds_entry;
CREATE INDEX funds_entry_school ON funds_entry (school_union_id, entry_year, id);
CREATE INDEX funds_entry_corrects ON funds_entry (corrects_id);

CREATE TABLE funds_receipt (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES funds_entry(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    body BLOB NOT NULL,
    uploaded_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX funds_receipt_entry ON funds_receipt (entry_id);
