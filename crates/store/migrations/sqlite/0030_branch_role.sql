-- What a branch of a school is (issue 25): a department that answers proposals (职能处室),
-- a teaching or grade group (教研组), or a union branch (分工会). Rosters call all three
-- "部门"; a branch an import creates has its role guessed from its name and waits for a
-- person to confirm it (role_confirmed = FALSE).
ALTER TABLE org_unit ADD COLUMN branch_role TEXT CHECK (branch_role IN ('department', 'teaching_group', 'union_branch'));
ALTER TABLE org_unit ADD COLUMN role_confirmed BOOLEAN NOT NULL DEFAULT TRUE;
-- Branches that existed before: the same guess as domain::org::BranchRole::guess.
UPDATE org_unit SET branch_role = CASE
    WHEN name LIKE '%工会%' THEN 'union_branch'
    WHEN name LIKE '%处' OR name LIKE '%室' OR name LIKE '%办' OR name LIKE '%中心' OR name LIKE '%部' OR name LIKE '%科' THEN 'department'
    ELSE 'teaching_group' END
WHERE kind = 'branch';
