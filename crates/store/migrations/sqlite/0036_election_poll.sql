-- Issue 22: the member assembly votes through voting's polls. A poll may belong to an
-- election (each round of it: a further round points at the round before through
-- parent_id); the election reads its result from the published rounds and decides it
-- under its own rule set (union members with the right to vote).
ALTER TABLE poll ADD COLUMN election_id BIGINT REFERENCES election(id);
CREATE INDEX poll_election ON poll (election_id, round);

-- The committee's own election of its chair and vice-chairs (after the assembly elected
-- its members): who was present of how many, each office's votes as decided, under which
-- rule-set version, by whom.
CREATE TABLE committee_officer_vote (
    id INTEGER PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committee(id),
    rule_set_id BIGINT NOT NULL REFERENCES election_rule_set(id),
    due BIGINT NOT NULL,
    present BIGINT NOT NULL,
    held_on DATE NOT NULL,
    -- [[seat, member, role, votes]] as decided.
    result TEXT NOT NULL,
    taken_at DATETIME NOT NULL,
    taken_by BIGINT REFERENCES account(id),
    taken_by_label TEXT NOT NULL
);
CREATE INDEX committee_officer_vote_committee ON committee_officer_vote (committee_id, id);
