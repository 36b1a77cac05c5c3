-- The staff congress: rule sets, terms, delegations and delegates, meetings with agenda,
-- documents and roles, attendance with one-time check-in codes, proposals with seconders,
-- review, handling rounds, replies, ratings and implementation, and suggestions.
-- SQLite flavour; postgres/0003_congress.sql is the twin.

-- A version of the numbers of a union or school (domain::rules::RuleSet as JSON). Versions
-- are never changed: a change is a new version, and decisions keep the id they used.
-- `inherit` marks a school version that goes back to its union's rules.
CREATE TABLE rule_set (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    version BIGINT NOT NULL,
    inherit BOOLEAN NOT NULL DEFAULT FALSE,
    numbers TEXT NOT NULL,
    note TEXT,
    created_at DATETIME NOT NULL,
    created_by BIGINT,
    UNIQUE (org_unit_id, version)
);

CREATE TABLE congress_term (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    number BIGINT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('congress', 'assembly')),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE (school_union_id, number)
);
CREATE INDEX congress_term_school ON congress_term (school_union_id, start_date);

CREATE TABLE delegation (
    id INTEGER PRIMARY KEY,
    term_id BIGINT NOT NULL REFERENCES congress_term(id),
    name TEXT NOT NULL,
    branch_id BIGINT REFERENCES org_unit(id),
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    UNIQUE (term_id, name)
);

-- A mandate of a member in a term. A replacement ends one row and starts another; both
-- stay, linked both ways.
CREATE TABLE delegate (
    id INTEGER PRIMARY KEY,
    term_id BIGINT NOT NULL REFERENCES congress_term(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    kind TEXT NOT NULL CHECK (kind IN ('delegate', 'observer', 'invited')),
    delegation_id BIGINT REFERENCES delegation(id),
    started_on DATE NOT NULL,
    ended_on DATE,
    end_reason TEXT,
    replaces_id BIGINT REFERENCES delegate(id),
    replaced_by_id BIGINT REFERENCES delegate(id),
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX delegate_current ON delegate (term_id, member_id) WHERE ended_on IS NULL;
CREATE INDEX delegate_member ON delegate (member_id, term_id);
CREATE INDEX delegate_term ON delegate (term_id, kind);

CREATE TABLE congress_meeting (
    id INTEGER PRIMARY KEY,
    term_id BIGINT NOT NULL REFERENCES congress_term(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    number BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('regular', 'extraordinary')),
    meeting_date DATE NOT NULL,
    starts_at DATETIME,
    place TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'open', 'closed')),
    proposals_from DATE,
    proposals_until DATE,
    opened_at DATETIME,
    closed_at DATETIME,
    -- Attendance when the meeting closed, judged by the rule-set version named.
    final_total BIGINT,
    final_excused BIGINT,
    final_present BIGINT,
    final_quorum BOOLEAN,
    final_rule_set_id BIGINT REFERENCES rule_set(id),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE (term_id, number)
);
CREATE INDEX congress_meeting_school ON congress_meeting (school_union_id, meeting_date);

CREATE TABLE agenda_item (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'deliberation', 'resolution', 'election', 'cadre_review', 'other')),
    title TEXT NOT NULL,
    presenter TEXT,
    created_at DATETIME NOT NULL
);
CREATE INDEX agenda_item_meeting ON agenda_item (meeting_id, position);

-- Files are stored, never opened or executed, and served back only as downloads.
CREATE TABLE meeting_document (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    agenda_item_id BIGINT REFERENCES agenda_item(id),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pdf', 'doc', 'docx', 'xls', 'xlsx', 'jpg', 'png')),
    size_bytes BIGINT NOT NULL,
    sha256 BLOB NOT NULL,
    content BLOB NOT NULL,
    uploaded_at DATETIME NOT NULL,
    uploaded_by BIGINT
);
CREATE INDEX meeting_document_meeting ON meeting_document (meeting_id, id);

CREATE TABLE meeting_role (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    role TEXT NOT NULL CHECK (role IN ('presidium', 'scrutineer', 'teller')),
    created_at DATETIME NOT NULL,
    UNIQUE (meeting_id, member_id, role)
);

-- Excused absences (请假), recorded before the meeting: they lower "due", not "all".
CREATE TABLE meeting_excuse (
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    reason TEXT,
    recorded_at DATETIME NOT NULL,
    recorded_by BIGINT,
    PRIMARY KEY (meeting_id, delegate_id)
);

CREATE TABLE check_in (
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    at DATETIME NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('phone', 'code', 'staff')),
    late BOOLEAN NOT NULL DEFAULT FALSE,
    left_at DATETIME,
    recorded_by BIGINT,
    PRIMARY KEY (meeting_id, delegate_id)
);

-- One-time codes printed on delegate cards; only their SHA-256 is kept.
CREATE TABLE check_in_code (
    code_hash BLOB PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    created_at DATETIME NOT NULL,
    used_at DATETIME
);
CREATE INDEX check_in_code_delegate ON check_in_code (meeting_id, delegate_id);

CREATE TABLE proposal (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    term_id BIGINT NOT NULL REFERENCES congress_term(id),
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    number BIGINT,
    proposer_id BIGINT NOT NULL REFERENCES delegate(id),
    title TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('teaching', 'staff_welfare', 'logistics', 'management', 'other')),
    reasons TEXT NOT NULL,
    measures TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'handling', 'answered', 'implementing', 'closed', 'merged', 'to_suggestion', 'rejected')),
    submitted_at DATETIME,
    submit_rule_set_id BIGINT REFERENCES rule_set(id),
    decision TEXT CHECK (decision IN ('accept', 'merge', 'to_suggestion', 'reject')),
    decision_reason TEXT,
    decided_at DATETIME,
    decided_by BIGINT,
    decision_rule_set_id BIGINT REFERENCES rule_set(id),
    merged_into_id BIGINT REFERENCES proposal(id),
    handler_unit_id BIGINT REFERENCES org_unit(id),
    reply_due DATE,
    round BIGINT NOT NULL DEFAULT 1,
    -- The rating of the latest rated round, for reports.
    last_rating TEXT CHECK (last_rating IN ('satisfied', 'partly_satisfied', 'dissatisfied')),
    implementation TEXT CHECK (implementation IN ('not_started', 'in_progress', 'done')),
    implementation_percent BIGINT,
    closed_at DATETIME,
    version BIGINT NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE (meeting_id, number)
);
CREATE INDEX proposal_school ON proposal (school_union_id, status, id);
CREATE INDEX proposal_meeting ON proposal (meeting_id, status);
CREATE INDEX proposal_handler ON proposal (handler_unit_id, status);
CREATE INDEX proposal_proposer ON proposal (proposer_id, id);

CREATE TABLE proposal_seconder (
    proposal_id BIGINT NOT NULL REFERENCES proposal(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    status TEXT NOT NULL CHECK (status IN ('invited', 'seconded', 'declined')),
    invited_at DATETIME,
    responded_at DATETIME,
    PRIMARY KEY (proposal_id, delegate_id)
);
CREATE INDEX proposal_seconder_delegate ON proposal_seconder (delegate_id, status);

CREATE TABLE proposal_co_handler (
    proposal_id BIGINT NOT NULL REFERENCES proposal(id),
    unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    PRIMARY KEY (proposal_id, unit_id)
);
CREATE INDEX proposal_co_handler_unit ON proposal_co_handler (unit_id);

-- One row per handling round; the rating of the round sits with its reply.
CREATE TABLE proposal_reply (
    id INTEGER PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposal(id),
    round BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    due DATE NOT NULL,
    body TEXT NOT NULL,
    replied_at DATETIME NOT NULL,
    replied_by BIGINT,
    rating TEXT CHECK (rating IN ('satisfied', 'partly_satisfied', 'dissatisfied')),
    rating_comment TEXT,
    rated_at DATETIME,
    rating_rule_set_id BIGINT REFERENCES rule_set(id),
    UNIQUE (proposal_id, round)
);

CREATE TABLE proposal_progress (
    id INTEGER PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposal(id),
    status TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done')),
    percent BIGINT NOT NULL,
    note TEXT NOT NULL,
    at DATETIME NOT NULL,
    recorded_by BIGINT
);
CREATE INDEX proposal_progress_proposal ON proposal_progress (proposal_id, id);

CREATE TABLE proposal_reminder (
    id INTEGER PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposal(id),
    round BIGINT NOT NULL,
    reminded_on DATE NOT NULL,
    reminded_by BIGINT,
    UNIQUE (proposal_id, round, reminded_on)
);

CREATE TABLE suggestion (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    member_id BIGINT REFERENCES member(id),
    from_proposal_id BIGINT REFERENCES proposal(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    reply TEXT,
    replied_at DATETIME,
    replied_by BIGINT,
    created_at DATETIME NOT NULL
);
CREATE INDEX suggestion_school ON suggestion (school_union_id, status, id);
CREATE INDEX suggestion_member ON suggestion (member_id, id);
