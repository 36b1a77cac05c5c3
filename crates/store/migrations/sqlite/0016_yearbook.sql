-- Issue 23: news from correspondents (通讯员 / 信息员) with their placements and points, the
-- year's work plan (工作计划) as tasks tied to the areas' year figures, and the year summary
-- (工作总结) drafts with the figures and the rule-set version that produced them.

-- A school's correspondents: members registered by the school's union.
CREATE TABLE correspondent (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL UNIQUE REFERENCES member(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    registered_on DATE NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX correspondent_school ON correspondent (school_union_id);

-- A news item: submitted by a correspondent, approved by the school (not the author),
-- published by the district (on the public news page), or rejected.
CREATE TABLE news_item (
    id INTEGER PRIMARY KEY,
    correspondent_id BIGINT NOT NULL REFERENCES correspondent(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'school_approved', 'published', 'rejected')),
    submitted_by BIGINT REFERENCES account(id),
    school_approved_by BIGINT REFERENCES account(id),
    published_by BIGINT REFERENCES account(id),
    submitted_on DATE NOT NULL,
    published_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX news_item_school ON news_item (school_union_id, submitted_on);
CREATE INDEX news_item_published ON news_item (status, published_at);

-- Where a published item was carried further, with the points of the rule-set version.
CREATE TABLE news_placement (
    id INTEGER PRIMARY KEY,
    news_item_id BIGINT NOT NULL REFERENCES news_item(id),
    level TEXT NOT NULL CHECK (level IN ('district', 'city', 'province', 'national')),
    outlet TEXT NOT NULL,
    placed_on DATE NOT NULL,
    points BIGINT NOT NULL,
    rule_version TEXT NOT NULL,
    recorded_by BIGINT REFERENCES account(id),
    created_at DATETIME NOT NULL,
    UNIQUE (news_item_id, level)
);

-- A unit's task of the year's plan, optionally tied to a declared year figure and target.
CREATE TABLE work_plan_task (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    plan_year BIGINT NOT NULL,
    text TEXT NOT NULL,
    owner TEXT NOT NULL,
    deadline DATE NOT NULL,
    figure_key TEXT,
    target BIGINT,
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX work_plan_task_unit ON work_plan_task (org_unit_id, plan_year, deadline);

-- A unit's year summary draft: the figures it was made from (JSON snapshot), the rule-set
-- version, and the text once edited (NULL: written from the figures in the reader's language).
CREATE TABLE work_summary (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    summary_year BIGINT NOT NULL,
    figures TEXT NOT NULL,
    rule_version TEXT NOT NULL,
    body TEXT,
    drafted_by BIGINT REFERENCES account(id),
    drafted_at DATETIME NOT NULL,
    edited_at DATETIME,
    UNIQUE (org_unit_id, summary_year)
);
