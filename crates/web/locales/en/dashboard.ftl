## The start page: the school year in figures (every area's declared year figures)
dashboard-year-title = School year { $years } in figures
dashboard-year = School year
dashboard-year-school = School union
dashboard-year-area = Area
dashboard-year-total = Total
dashboard-year-hint = Each number links to the list it counts. Choose a column heading to compare schools in the chart.
dashboard-year-empty = Nothing is recorded for this school year yet. Figures appear here as schools hold their congress, receive proposals and vote; choose an earlier year to see past ones.

# A delegate's start page during a meeting (issue 25).
home-now-title = Meeting in session
home-now-checked-in = Checked in ({ $at })
home-now-polls = Votes open now
home-now-no-polls = No vote is open now. When one opens, it appears here.
home-now-voted = Voted
home-now-vote = Vote now
home-now-paper = Paper ballot: fill it in in the hall
home-now-check-in-first = Check in first to vote
home-now-me = My details
home-nothing-yet = Your account has no work assigned yet. Ask the union to give you a role; meanwhile you can change your password here.
