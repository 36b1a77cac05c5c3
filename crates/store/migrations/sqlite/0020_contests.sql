-- Issue 18: contests (劳动竞赛、技能比赛、课件、论文、演讲、辩论、书法、球类). A contest is
-- organized by a union unit for the schools below it, with its categories (组别), the
-- criteria of its scoring sheet (weights summing to 100, a range each), the prizes by
-- rank, a quota of entries per school and its dates. Schools submit entries, each with a
-- blind code; judges are declared per contest with their conflicts (their own school
-- always); a judge's points per entry and criterion; the frozen results at publication.

CREATE TABLE contest (
    id INTEGER PRIMARY KEY,
    organizer_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('courseware', 'paper', 'teaching_skills', 'speech', 'debate', 'calligraphy', 'sports', 'labour')),
    contest_year BIGINT NOT NULL,
    rules TEXT NOT NULL,
    entry_from DATE NOT NULL,
    entry_until DATE NOT NULL,
    judging_until DATE NOT NULL,
    quota BIGINT NOT NULL CHECK (quota >= 0),
    drop_extremes BOOLEAN NOT NULL DEFAULT FALSE,
    prizes_first BIGINT NOT NULL CHECK (prizes_first >= 0),
    prizes_second BIGINT NOT NULL CHECK (prizes_second >= 0),
    prizes_third BIGINT NOT NULL CHECK (prizes_third >= 0),
    prizes_merit BIGINT NOT NULL CHECK (prizes_merit >= 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'judging', 'published')),
    published_on DATE,
    created_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    CHECK (entry_from <= entry_until AND entry_until <= judging_until)
);
CREATE INDEX contest_organizer ON contest (organizer_unit_id, contest_year);

CREATE TABLE contest_category (
    id INTEGER PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contest(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (contest_id, position)
);

CREATE TABLE contest_criterion (
    id INTEGER PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contest(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    weight BIGINT NOT NULL CHECK (weight > 0 AND weight <= 100),
    max_points BIGINT NOT NULL CHECK (max_points > 0),
    UNIQUE (contest_id, position)
);

CREATE TABLE contest_entry (
    id INTEGER PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contest(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    category_id BIGINT REFERENCES contest_category(id),
    -- The blind code judges see instead of the title, the entrants and the school.
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    entrants TEXT NOT NULL,
    team BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_on DATE NOT NULL,
    submitted_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (contest_id, code)
);
CREATE INDEX contest_entry_school ON contest_entry (school_union_id, contest_id);

CREATE TABLE contest_judge (
    id INTEGER PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contest(id),
    member_id BIGINT NOT NULL REFERENCES member(id),
    created_at DATETIME NOT NULL,
    UNIQUE (contest_id, member_id)
);

-- The schools a judge never scores: their own (recorded when declared) and any declared.
CREATE TABLE contest_conflict (
    judge_id BIGINT NOT NULL REFERENCES contest_judge(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    PRIMARY KEY (judge_id, school_union_id)
);

CREATE TABLE contest_score (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES contest_entry(id),
    judge_id BIGINT NOT NULL REFERENCES contest_judge(id),
    criterion_id BIGINT NOT NULL REFERENCES contest_criterion(id),
    points BIGINT NOT NULL CHECK (points >= 0),
    scored_at DATETIME NOT NULL,
    UNIQUE (entry_id, judge_id, criterion_id)
);
CREATE INDEX contest_score_judge ON contest_score (judge_id, entry_id);

-- The results as published (frozen): score in hundredths, rank, tie, prize tier, and for a
-- prize the certificate's verification code (public page: genuine or not).
CREATE TABLE contest_result (
    entry_id BIGINT PRIMARY KEY REFERENCES contest_entry(id),
    contest_id BIGINT NOT NULL REFERENCES contest(id),
    score_centi BIGINT NOT NULL,
    place BIGINT NOT NULL,
    tied BOOLEAN NOT NULL DEFAULT FALSE,
    tier TEXT CHECK (tier IN ('first', 'second', 'third', 'merit')),
    certificate_code TEXT UNIQUE
);
CREATE INDEX contest_result_contest ON contest_result (contest_id, place);
