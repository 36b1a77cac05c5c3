-- Votes of the staff congress: polls on the agenda, their options (candidates, leaders),
-- who voted, the ballot box of secret polls, named ballots, and the tellers' paper counts.
-- SQLite flavour; postgres/0004_voting.sql is the twin.
--
-- Secrecy (DESIGN.md §5): the ballot box holds no voter, no time and no sequence. Its key
-- is a random token, and the table is WITHOUT ROWID, so rows sit in token order, not in the
-- order they were cast. Who voted is kept apart in poll_participation, keyed by delegate.

CREATE TABLE poll (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES congress_meeting(id),
    agenda_item_id BIGINT REFERENCES agenda_item(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('motion', 'election', 'cadre_review')),
    mode TEXT NOT NULL CHECK (mode IN ('secret', 'named', 'paper')),
    title TEXT NOT NULL,
    seats BIGINT NOT NULL DEFAULT 0,
    competitive BOOLEAN NOT NULL DEFAULT FALSE,
    by_election BOOLEAN NOT NULL DEFAULT FALSE,
    -- A further round (vacant seats, a tie) points at the round before it.
    round BIGINT NOT NULL DEFAULT 1,
    parent_id BIGINT REFERENCES poll(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'published')),
    opened_at DATETIME,
    opened_by BIGINT,
    closed_at DATETIME,
    closed_by BIGINT,
    published_at DATETIME,
    published_by BIGINT,
    -- At closing: the rule-set version (NULL = the built-in defaults), the attendance, the
    -- electronic ballots counted and their aggregate counts (domain::voting::Tally).
    rule_set_id BIGINT REFERENCES rule_set(id),
    att_total BIGINT,
    att_excused BIGINT,
    att_present BIGINT,
    electronic BIGINT,
    tally TEXT,
    -- domain::voting::PollResult, computed when published.
    result TEXT,
    created_at DATETIME NOT NULL,
    created_by BIGINT
);
CREATE INDEX poll_meeting ON poll (meeting_id, id);
CREATE INDEX poll_status ON poll (status, meeting_id);

CREATE TABLE poll_option (
    id INTEGER PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES poll(id),
    position BIGINT NOT NULL,
    label TEXT NOT NULL,
    member_id BIGINT REFERENCES member(id)
);
CREATE INDEX poll_option_poll ON poll_option (poll_id, position);

-- Who voted, never what nor when.
CREATE TABLE poll_participation (
    poll_id BIGINT NOT NULL REFERENCES poll(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    PRIMARY KEY (poll_id, delegate_id)
) WITHOUT ROWID;

CREATE TABLE poll_ballot (
    poll_id BIGINT NOT NULL REFERENCES poll(id),
    token BLOB NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (poll_id, token)
) WITHOUT ROWID;

-- Named polls record each voter's choice, as the hall was told.
CREATE TABLE poll_named_ballot (
    poll_id BIGINT NOT NULL REFERENCES poll(id),
    delegate_id BIGINT NOT NULL REFERENCES delegate(id),
    content TEXT NOT NULL,
    PRIMARY KEY (poll_id, delegate_id)
);

-- The tellers' sheet of a poll (paper or mixed hall) and the scrutineer's confirmation.
-- A voided round (more returned than issued) stays recorded until the tellers enter the
-- recount of the new round.
CREATE TABLE poll_paper (
    poll_id BIGINT PRIMARY KEY REFERENCES poll(id),
    issued BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    valid BIGINT NOT NULL,
    invalid BIGINT NOT NULL,
    counts TEXT NOT NULL,
    void BOOLEAN NOT NULL,
    entered_by BIGINT NOT NULL REFERENCES member(id),
    entered_at DATETIME NOT NULL,
    confirmed_by BIGINT REFERENCES member(id),
    confirmed_at DATETIME
);
