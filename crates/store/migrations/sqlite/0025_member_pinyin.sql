-- Issue 25: member lists sort names by pinyin (丁 and 于 no longer come first) and a search
-- in Latin letters finds a name by its pinyin or its initials ("wsq" finds 王思琪). The keys
-- are computed by the application (domain::pinyin) whenever a name is written; rows written
-- before this migration get theirs when the store opens (store::org::pinyin::backfill).
ALTER TABLE member ADD COLUMN name_pinyin TEXT NOT NULL DEFAULT '';
ALTER TABLE member ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
CREATE INDEX member_school_pinyin ON member (school_union_id, name_pinyin, id);
CREATE INDEX member_pinyin ON member (name_pinyin, id);
CREATE INDEX member_initials ON member (name_initials);
