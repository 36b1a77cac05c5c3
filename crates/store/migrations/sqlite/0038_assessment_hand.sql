-- Issue 17: the annual assessment's hand-scored indicators and appeals. A hand score is
-- never edited: a new score (by its scorer, or as an appeal's outcome) is a new row, so a
-- school's score history is kept; the latest row of a school, year and indicator counts.
-- An appeal names the score it disputes and is decided by a different person than the one
-- who gave that score or filed the appeal. Both name the scheme version.

CREATE TABLE annual_hand_score (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    school_year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points >= 0),
    -- JSON: the evidence, one reference per element (a file name or a platform record).
    evidence TEXT NOT NULL,
    scheme_version BIGINT NOT NULL,
    -- Set when the score is an appeal's outcome.
    appeal_id BIGINT,
    scored_by BIGINT REFERENCES account(id),
    scored_by_label TEXT NOT NULL,
    scored_on DATE NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX annual_hand_score_year ON annual_hand_score (school_year, school_union_id, indicator, id);

CREATE TABLE annual_appeal (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    school_year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    score_id BIGINT NOT NULL REFERENCES annual_hand_score(id),
    reason TEXT NOT NULL,
    filed_by BIGINT REFERENCES account(id),
    filed_by_label TEXT NOT NULL,
    filed_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'changed')),
    outcome TEXT,
    decided_by BIGINT REFERENCES account(id),
    decided_by_label TEXT,
    decided_on DATE,
    scheme_version BIGINT NOT NULL,
    created_at DATETIME NOT NULL
);
-- One open appeal per school, year and indicator.
CREATE UNIQUE INDEX annual_appeal_open ON annual_appeal (school_union_id, school_year, indicator) WHERE status = 'open';
CREATE INDEX annual_appeal_school ON annual_appeal (school_union_id, school_year, id);
