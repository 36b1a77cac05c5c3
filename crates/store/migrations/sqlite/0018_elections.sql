-- Issue 22: union committees and their elections. Versioned election rule sets (every
-- number local until the statute's text is read), the three committees of a school union
-- with their current term, their seats (held or vacant), elections (换届 / 补选) with each
-- step recorded with the rule-set version that decided it, and the candidates with their
-- votes. No personal data beyond the member's id: names stay in `member`.

CREATE TABLE election_rule_set (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    version BIGINT NOT NULL,
    numbers TEXT NOT NULL,
    note TEXT,
    created_at DATETIME NOT NULL,
    UNIQUE (org_unit_id, version)
);

CREATE TABLE committee (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('union_committee', 'audit_committee', 'women_committee')),
    seats BIGINT NOT NULL,
    term_years BIGINT NOT NULL,
    term_start DATE NOT NULL,
    term_end DATE NOT NULL,
    -- The version that admitted the term length.
    rule_set_id BIGINT NOT NULL REFERENCES election_rule_set(id),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE (school_union_id, kind)
);
CREATE INDEX committee_term_end ON committee (term_end, id);

-- A seat is held (member_id) or vacant (vacant_since, with a reason); a seat row that
-- ended (its holder left, a new term began) stays as history with ended_on.
CREATE TABLE committee_seat (
    id INTEGER PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committee(id),
    role TEXT NOT NULL CHECK (role IN ('chair', 'vice_chair', 'member')),
    member_id BIGINT REFERENCES member(id),
    since DATE,
    vacant_since DATE,
    vacancy_reason TEXT CHECK (vacancy_reason IN ('retired', 'transferred', 'resigned', 'other')),
    ended_on DATE,
    created_at DATETIME NOT NULL
);
CREATE INDEX committee_seat_committee ON committee_seat (committee_id, id);
CREATE INDEX committee_seat_member ON committee_seat (member_id);

CREATE TABLE election (
    id INTEGER PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committee(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('general_election', 'by_election')),
    status TEXT NOT NULL CHECK (status IN ('applied', 'approved', 'nominated', 'slate_approved', 'held', 'confirmed')),
    seats BIGINT NOT NULL,
    assembly TEXT NOT NULL CHECK (assembly IN ('member_assembly', 'member_delegate_assembly')),
    term_years BIGINT,
    voters_due BIGINT,
    present BIGINT,
    held_on DATE,
    -- When the current step was taken (approvals fall due from it).
    step_on DATE NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
-- One election in progress per committee.
CREATE UNIQUE INDEX election_open ON election (committee_id) WHERE status <> 'confirmed';
CREATE INDEX election_school ON election (school_union_id, status, id);

CREATE TABLE election_step (
    id INTEGER PRIMARY KEY,
    election_id BIGINT NOT NULL REFERENCES election(id),
    step TEXT NOT NULL CHECK (step IN ('apply', 'approve', 'nominate', 'approve_slate', 'hold', 'confirm')),
    rule_set_id BIGINT NOT NULL REFERENCES election_rule_set(id),
    taken_on DATE NOT NULL,
    taken_at DATETIME NOT NULL,
    taken_by BIGINT REFERENCES account(id),
    taken_by_label TEXT NOT NULL,
    note TEXT
);
CREATE INDEX election_step_election ON election_step (election_id, id);

CREATE TABLE election_candidate (
    id INTEGER PRIMARY KEY,
    election_id BIGINT NOT NULL REFERENCES election(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    position BIGINT NOT NULL,
    votes BIGINT,
    elected BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (election_id, member_id)
);
CREATE INDEX election_candidate_election ON election_candidate (election_id, position);
