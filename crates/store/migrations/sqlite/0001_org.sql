-- Org tree, members and their history. SQLite flavour; postgres/0001_org.sql is the twin.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE org_unit (
    id INTEGER PRIMARY KEY,
    parent_id BIGINT REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('union', 'area', 'school_union', 'branch')),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    union_kind TEXT CHECK (union_kind IN ('province', 'city', 'district', 'county')),
    school_kind TEXT CHECK (school_kind IN ('public', 'private')),
    school_level TEXT CHECK (school_level IN ('kindergarten', 'primary', 'middle', 'vocational', 'special', 'other')),
    staff_count BIGINT NOT NULL DEFAULT 0,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX org_unit_parent ON org_unit (parent_id, sort_order, id);
CREATE INDEX org_unit_kind ON org_unit (kind, id);

-- Every (ancestor, descendant) pair including (x, x) at depth 0: "everything under X" is
-- one indexed lookup.
CREATE TABLE org_closure (
    ancestor_id BIGINT NOT NULL REFERENCES org_unit(id),
    descendant_id BIGINT NOT NULL REFERENCES org_unit(id),
    depth BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure (descendant_id, depth);

CREATE TABLE member (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    branch_id BIGINT REFERENCES org_unit(id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date DATE NOT NULL,
    id_number_enc BLOB NOT NULL,
    id_number_idx BLOB NOT NULL UNIQUE,
    id_tail_idx BLOB NOT NULL,
    phone_enc BLOB,
    phone_idx BLOB,
    phone_tail_idx BLOB,
    post TEXT NOT NULL CHECK (post IN ('teacher', 'leader', 'staff', 'worker', 'other')),
    title TEXT CHECK (title IN ('senior', 'associate_senior', 'intermediate', 'junior', 'unrated')),
    ethnicity TEXT,
    political_status TEXT CHECK (political_status IN ('cpc_member', 'cpc_probationary', 'cyl_member', 'democratic_party', 'non_partisan', 'masses')),
    education TEXT CHECK (education IN ('doctorate', 'master', 'bachelor', 'associate', 'secondary', 'other')),
    employment_type TEXT CHECK (employment_type IN ('established', 'contract', 'agency', 'temporary', 'rehired')),
    join_date DATE,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'transferred_out', 'left')),
    status_since DATE NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX member_school_name ON member (school_union_id, name, id);
CREATE INDEX member_school_birth ON member (school_union_id, birth_date, id);
CREATE INDEX member_name ON member (name, id);
CREATE INDEX member_id_tail ON member (id_tail_idx);
CREATE INDEX member_phone_tail ON member (phone_tail_idx);

CREATE TABLE member_status_history (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'transferred_out', 'left')),
    since DATE NOT NULL,
    note TEXT,
    recorded_at DATETIME NOT NULL,
    recorded_by BIGINT
);
CREATE INDEX member_status_history_member ON member_status_history (member_id, id);

CREATE TABLE member_transfer (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    from_school_id BIGINT NOT NULL REFERENCES org_unit(id),
    to_school_id BIGINT NOT NULL REFERENCES org_unit(id),
    transfer_date DATE NOT NULL,
    note TEXT,
    recorded_at DATETIME NOT NULL,
    recorded_by BIGINT
);
CREATE INDEX member_transfer_member ON member_transfer (member_id, id);

CREATE TABLE cadre (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    position TEXT NOT NULL CHECK (position IN ('chair', 'vice_chair', 'committee_member', 'women_committee_chair', 'audit_committee_chair', 'group_leader')),
    start_date DATE NOT NULL,
    end_date DATE,
    created_at DATETIME NOT NULL
);
CREATE INDEX cadre_member ON cadre (member_id, id);
CREATE INDEX cadre_org_unit ON cadre (org_unit_id, id);

-- A roster upload between its dry run and its application. The file is kept encrypted.
CREATE TABLE import_batch (
    id INTEGER PRIMARY KEY,
    account_id BIGINT,
    target_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    file_name TEXT NOT NULL,
    file_enc BLOB,
    status TEXT NOT NULL CHECK (status IN ('staged', 'running', 'applied', 'discarded')),
    mode TEXT CHECK (mode IN ('all_or_nothing', 'valid_rows')),
    summary TEXT,
    created_at DATETIME NOT NULL,
    applied_at DATETIME
);
CREATE INDEX import_batch_account ON import_batch (account_id, id);
