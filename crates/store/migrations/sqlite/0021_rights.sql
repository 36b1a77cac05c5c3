-- Issue 19: rights protection (维权) — questionnaires (问卷调查). SQLite flavour;
-- postgres/0021_rights.sql is the twin.
--
-- Anonymity (like the secret ballots of 0004): an anonymous survey's answers sit in
-- survey_response with no person, no time and no sequence. Its key is a random token and
-- the table is WITHOUT ROWID, so rows sit in token order, not in the order they arrived.
-- Who has answered is kept apart in survey_participation (only to refuse a second
-- answer and to show progress by school), keyed by member: nothing joins the two. At
-- closing both are rewritten (answers shuffled under fresh tokens, participation in member
-- order) with secure_delete on, and the log is truncated. Named surveys keep each answer
-- with its member in survey_named_response, as the form told them.

CREATE TABLE survey (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    closes_on DATE NOT NULL,
    -- The questions as JSON (domain::rights::Question), fixed once the survey opens.
    questions TEXT NOT NULL,
    opened_on DATE,
    closed_on DATE,
    created_by BIGINT REFERENCES account(id),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX survey_unit ON survey (org_unit_id, status);

-- Who has answered, never what nor when.
CREATE TABLE survey_participation (
    survey_id BIGINT NOT NULL REFERENCES survey(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    PRIMARY KEY (survey_id, member_id)
) WITHOUT ROWID;

-- The answers of anonymous surveys: the survey, a random token, the answers. Nothing else.
CREATE TABLE survey_response (
    survey_id BIGINT NOT NULL REFERENCES survey(id),
    token BLOB NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (survey_id, token)
) WITHOUT ROWID;

-- The answers of named surveys, with their member.
CREATE TABLE survey_named_response (
    survey_id BIGINT NOT NULL REFERENCES survey(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    content TEXT NOT NULL,
    PRIMARY KEY (survey_id, member_id)
);
