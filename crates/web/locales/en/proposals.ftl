## The proposals area: year figures (menu entries and pages are in congress.ftl)
figure-proposals-submitted = Proposals submitted
figure-proposals-accepted = Accepted as proposals
figure-proposals-answered = Proposals answered
figure-proposals-answered-on-time = Answered on time
figure-proposals-satisfaction = Satisfaction with replies
