## The start page: the school year in figures (every area's declared year figures)
dashboard-year-title = School year { $years } in figures
dashboard-year = School year
dashboard-year-school = School union
dashboard-year-area = Area
dashboard-year-total = Total
dashboard-year-hint = Each number links to the list it counts. Choose a column heading to compare schools in the chart.
dashboard-year-empty = Nothing is recorded for this school year yet. Figures appear here as schools hold their congress, receive proposals and vote; choose an earlier year to see past ones.
