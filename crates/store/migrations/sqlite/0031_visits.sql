-- Issue 16: must-visits and condolences (五必访, 慰问). A school's report of an event that
-- calls for a visit (a hospital stay, a bereavement, ...), and each visit made: who went,
-- when, the amount given (fen) and the rule-set version that capped it. The type, the dates
-- and the amount stay plain (figures, caps and the due list count them); the notes, which
-- say what happened to the member, are encrypted and bound to their row.

CREATE TABLE visit_report (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    visit_type TEXT NOT NULL CHECK (visit_type IN ('hospitalisation', 'bereavement', 'marriage', 'childbirth', 'retirement', 'hardship')),
    event_on DATE NOT NULL,
    due_on DATE NOT NULL,
    note_enc BLOB,
    reported_by BIGINT REFERENCES account(id),
    reported_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX visit_report_school ON visit_report (school_union_id, due_on);

CREATE TABLE visit (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    visit_type TEXT NOT NULL CHECK (visit_type IN ('hospitalisation', 'bereavement', 'marriage', 'childbirth', 'retirement', 'hardship')),
    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('retired', 'file_opened', 'report')),
    report_id BIGINT REFERENCES visit_report(id),
    visited_on DATE NOT NULL,
    visit_year BIGINT NOT NULL,
    visitors TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    rule_set_id BIGINT NOT NULL REFERENCES assistance_rule_set(id),
    note_enc BLOB,
    recorded_by BIGINT REFERENCES account(id),
    recorded_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
-- A report is answered by one visit.
CREATE UNIQUE INDEX visit_report_once ON visit (report_id) WHERE report_id IS NOT NULL;
CREATE INDEX visit_member_year ON visit (member_id, visit_year);
CREATE INDEX visit_school_year ON visit (school_union_id, visit_year, visit_type);
