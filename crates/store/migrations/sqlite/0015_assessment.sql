-- Issue 17: assessment. Applications for a staff-home level (职工之家) with the school's
-- self-assessment and evidence, the area's recommendation and the district's two-person
-- review; and each school's level history (awarded, downgraded). Every decision names the
-- version of the scheme that made it. The annual assessment stores nothing: it is computed
-- from the areas' year figures.

CREATE TABLE home_application (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    level TEXT NOT NULL CHECK (level IN ('qualified', 'advanced', 'model')),
    status TEXT NOT NULL CHECK (status IN ('self_assessed', 'recommended', 'not_recommended', 'first_review', 'approved', 'refused')),
    scheme_version BIGINT NOT NULL,
    -- JSON: [[standard, points], …] and the evidence, one reference per element.
    self_scores TEXT NOT NULL,
    self_total BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    applied_by BIGINT REFERENCES account(id),
    applied_by_label TEXT NOT NULL,
    applied_on DATE NOT NULL,
    area_score BIGINT,
    recommended_by BIGINT REFERENCES account(id),
    recommended_by_label TEXT,
    first_reviewer BIGINT REFERENCES account(id),
    first_reviewer_label TEXT,
    decided_by BIGINT REFERENCES account(id),
    decided_by_label TEXT,
    decided_on DATE,
    note TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
-- One application per school that is not decided.
CREATE UNIQUE INDEX home_application_open ON home_application (school_union_id) WHERE decided_on IS NULL;
CREATE INDEX home_application_school ON home_application (school_union_id, id);

CREATE TABLE home_level (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    -- NULL: downgraded below qualified.
    level TEXT CHECK (level IN ('qualified', 'advanced', 'model')),
    change TEXT NOT NULL CHECK (change IN ('awarded', 'downgraded')),
    application_id BIGINT REFERENCES home_application(id),
    scheme_version BIGINT NOT NULL,
    reason TEXT,
    decided_on DATE NOT NULL,
    by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX home_level_school ON home_level (school_union_id, id);
