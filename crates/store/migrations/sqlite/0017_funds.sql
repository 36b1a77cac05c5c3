-- Issue 21: union money (funds). Versioned funds rule sets (dues rate, union-fund rate, the
-- share kept, the dues base's rounding: every number local until its text is read); the
-- monthly levies of dues and union funds per school (due, kept, remitted, paid); the
-- year's budget lines by expense category with their caps; the ledger of incomes and
-- expenses (entered, then approved by another person); the audit committee's findings by
-- area with their rectification. Money is integer fen everywhere.

CREATE TABLE funds_rule_set (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    version BIGINT NOT NULL,
    numbers TEXT NOT NULL,
    note TEXT,
    created_at DATETIME NOT NULL,
    UNIQUE (org_unit_id, version)
);

CREATE TABLE funds_levy (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('dues', 'union_fund')),
    -- The first day of the month the levy is for.
    levy_month DATE NOT NULL,
    base_fen BIGINT NOT NULL CHECK (base_fen >= 0),
    payers BIGINT NOT NULL,
    due_fen BIGINT NOT NULL CHECK (due_fen >= 0),
    kept_fen BIGINT NOT NULL CHECK (kept_fen >= 0),
    remitted_fen BIGINT NOT NULL CHECK (remitted_fen >= 0),
    paid_fen BIGINT NOT NULL CHECK (paid_fen >= 0),
    rule_set_id BIGINT NOT NULL REFERENCES funds_rule_set(id),
    recorded_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (school_union_id, kind, levy_month),
    CHECK (kept_fen + remitted_fen = due_fen)
);

CREATE TABLE funds_budget (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    budget_year BIGINT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('member_activities', 'rights_protection', 'operations', 'capital', 'undertakings', 'other')),
    cap_fen BIGINT NOT NULL CHECK (cap_fen >= 0),
    set_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (school_union_id, budget_year, category)
);

CREATE TABLE funds_entry (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    entry_year BIGINT NOT NULL,
    entry_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('income', 'expense')),
    category TEXT CHECK (category IN ('member_activities', 'rights_protection', 'operations', 'capital', 'undertakings', 'other')),
    source TEXT CHECK (source IN ('dues', 'union_fund', 'subsidy', 'other_income')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
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
    created_at DATETIME NOT NULL
);
CREATE INDEX funds_entry_school ON funds_entry (school_union_id, entry_year, id);

CREATE TABLE funds_finding (
    id INTEGER PRIMARY KEY,
    area_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    audit_year BIGINT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'serious')),
    status TEXT NOT NULL CHECK (status IN ('open', 'rectified')),
    finding TEXT NOT NULL,
    deadline DATE NOT NULL,
    rectification TEXT,
    rectified_on DATE,
    found_by BIGINT REFERENCES account(id),
    found_by_label TEXT NOT NULL,
    rectified_by_label TEXT,
    created_at DATETIME NOT NULL
);
CREATE INDEX funds_finding_school ON funds_finding (school_union_id, audit_year, status);
