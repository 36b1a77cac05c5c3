-- Issue 18: commendations (评选表彰). An award (先进个人, 十佳维权之星, 巾帼示范岗, …) is set
-- by a union unit for the schools below it with its quotas (per school and in all) and a
-- nomination deadline. A school nominates with the deeds (事迹); the organizer reviews;
-- an endorsed nomination goes on public notice (公示) for the days of the rule set in force
-- (its label recorded), where anyone may object; every objection is handled with a
-- recorded outcome; the award comes only after the notice period, with no objection
-- pending or upheld, within the quota, and carries a certificate's verification code.

CREATE TABLE commendation_award (
    id INTEGER PRIMARY KEY,
    organizer_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('advanced_individual', 'advanced_collective', 'outstanding_cadre', 'top_ten', 'women_post', 'teacher_ethics', 'staff_home', 'may_day_medal', 'pioneer_post')),
    award_year BIGINT NOT NULL,
    quota_per_school BIGINT NOT NULL CHECK (quota_per_school >= 1),
    quota_total BIGINT NOT NULL CHECK (quota_total >= 1),
    nominate_until DATE NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX commendation_award_organizer ON commendation_award (organizer_unit_id, award_year);

CREATE TABLE commendation_nomination (
    id INTEGER PRIMARY KEY,
    award_id BIGINT NOT NULL REFERENCES commendation_award(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    -- The member nominated (a person's honour); NULL for a post or a collective.
    member_id BIGINT REFERENCES member(id),
    nominee TEXT NOT NULL,
    deeds TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('nominated', 'notice', 'rejected', 'awarded')),
    review_note TEXT,
    notice_from DATE,
    notice_until DATE,
    rules_label TEXT,
    awarded_on DATE,
    certificate_code TEXT UNIQUE,
    created_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    CHECK (notice_from IS NULL OR notice_from <= notice_until)
);
CREATE INDEX commendation_nomination_award ON commendation_nomination (award_id, school_union_id);
CREATE INDEX commendation_nomination_notice ON commendation_nomination (status, notice_until);

-- An objection lodged on the public notice page (anonymous allowed): its text and the
-- contact given are sealed to their row (store::commendations::AREA.encrypted).
CREATE TABLE commendation_objection (
    id INTEGER PRIMARY KEY,
    nomination_id BIGINT NOT NULL REFERENCES commendation_nomination(id),
    body_enc BLOB NOT NULL,
    contact_enc BLOB,
    lodged_at DATETIME NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'upheld', 'dismissed')),
    outcome_note TEXT,
    handled_by_label TEXT,
    handled_at DATETIME
);
CREATE INDEX commendation_objection_nomination ON commendation_objection (nomination_id, outcome);
