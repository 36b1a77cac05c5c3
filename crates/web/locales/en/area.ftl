## Documents the areas offer (a unit's document list)
doc-org-members = Member list (masked, Excel)
doc-org-import-errors = Import problems (Excel)
doc-congress-report = Meeting report (Excel)
doc-congress-cards = Voting cards (print)
doc-congress-oversight = Congress oversight (Excel)
doc-voting-minutes = Voting minutes (print)
doc-voting-result = Result sheet (print)
doc-voting-result-xlsx = Result sheet (Excel)

## Year figures of the org area (per school and school year)
figure-org-members-active = Active members at year end
figure-org-members-retired = Retired members at year end
figure-org-members-joined = New members in the year
figure-org-schools-with-chair = Schools with a chair
