-- Issue 20: member services. Activities (文体活动): an event organised by a union for the
-- members of its subtree (and an audience within it), with places, sign-up by the member
-- themself, a waiting list promoted in arrival order, and check-in by a code.

-- An activity. `confirmed_count` and `next_seq` are the counters every sign-up and
-- cancellation updates first: that row update serialises them per activity on both
-- engines, and the CHECK keeps the places a hard limit.
CREATE TABLE activity (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at DATETIME NOT NULL,
    signup_closes_on DATE NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    confirmed_count BIGINT NOT NULL DEFAULT 0,
    next_seq BIGINT NOT NULL DEFAULT 0,
    audience TEXT NOT NULL CHECK (audience IN ('everyone', 'in_service', 'women', 'youth', 'retirees')),
    checkin_code TEXT NOT NULL,
    created_by BIGINT REFERENCES account(id),
    created_at DATETIME NOT NULL,
    CHECK (confirmed_count >= 0 AND confirmed_count <= capacity)
);
CREATE INDEX activity_unit_start ON activity (org_unit_id, starts_at);
CREATE INDEX activity_start ON activity (starts_at);

-- The tags of an activity (sports, culture, women's work, youth, retirees).
CREATE TABLE activity_tag (
    activity_id BIGINT NOT NULL REFERENCES activity(id),
    tag TEXT NOT NULL CHECK (tag IN ('sports', 'culture', 'women', 'youth', 'retirees')),
    PRIMARY KEY (activity_id, tag)
);

-- A member's sign-up: confirmed, waiting (in `seq` order) or cancelled; one row per member
-- and activity (signing up again after a cancellation reuses it with a new place in line).
CREATE TABLE activity_signup (
    id INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activity(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
    seq BIGINT NOT NULL,
    signed_up_at DATETIME NOT NULL,
    promoted_at DATETIME,
    cancelled_at DATETIME,
    checked_in_at DATETIME,
    UNIQUE (activity_id, member_id)
);
CREATE INDEX activity_signup_line ON activity_signup (activity_id, status, seq);
CREATE INDEX activity_signup_member ON activity_signup (member_id);
CREATE INDEX activity_signup_school ON activity_signup (school_union_id);
