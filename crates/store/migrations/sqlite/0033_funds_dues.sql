-- Issue 21: each member's dues base (会费基数, the basic salary: personal data, encrypted and
-- bound to the member's row), the monthly dues roll of a school generated from the roster
-- (its counts plain, its lines — member, status, base, dues — one encrypted value bound to
-- the roll), and the payroll office's sheet staged between its preview and its commit (the
-- matched rows encrypted, bound to the batch). Money in fen.

CREATE TABLE funds_dues_base (
    member_id BIGINT PRIMARY KEY REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    base_enc BLOB NOT NULL,
    since_month DATE NOT NULL,
    set_by_label TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX funds_dues_base_school ON funds_dues_base (school_union_id);

CREATE TABLE funds_dues_roll (
    levy_id BIGINT PRIMARY KEY REFERENCES funds_levy(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    roll_month DATE NOT NULL,
    payers BIGINT NOT NULL CHECK (payers >= 0),
    joined BIGINT NOT NULL CHECK (joined >= 0),
    leaving BIGINT NOT NULL CHECK (leaving >= 0),
    exempt BIGINT NOT NULL CHECK (exempt >= 0),
    missing_base BIGINT NOT NULL CHECK (missing_base >= 0),
    lines_enc BLOB NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (school_union_id, roll_month)
);

CREATE TABLE funds_payroll_batch (
    id INTEGER PRIMARY KEY,
    account_id BIGINT REFERENCES account(id),
    target_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    file_name TEXT NOT NULL,
    total_rows BIGINT NOT NULL,
    good_rows BIGINT NOT NULL,
    rows_enc BLOB,
    applied BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME NOT NULL
);
