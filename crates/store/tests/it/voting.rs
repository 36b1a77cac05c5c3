//! Votes in the store: the life cycle with quorum, bad votes refused, elections with
//! write-ins and further rounds, cadre reviews, paper and mixed halls, and secrecy (ballots
//! cannot be linked to voters by content, columns or storage order). Both engines.

use domain::auth::{Actor, Role, perm};
use domain::congress::{Acting, MeetingInput, MeetingRole, authorize_self};
use domain::ids::{MemberId, OrgUnitId};
use domain::text as t;
use domain::voting::*;
use store::voting::ballot_box::{BallotBox, Cast, Voter, prepare};
use store::voting::{self as sv};
use store::{Store, StoreError};
use testkit::hall::{Hall, close, hall, open, open_motion, poll_draft};
use testkit::*;

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected an input error, got {other:?}"),
    }
}

fn acting(school: OrgUnitId, m: MemberId) -> Acting<perm::CongressAttend> {
    let mut a: Actor = actor(&[(Role::Delegate, school)]);
    a.account = domain::ids::AccountId(9000 + m.0);
    a.member = Some(m);
    authorize_self::<perm::CongressAttend>(&a).unwrap()
}

fn motion(choice: &str) -> BallotInput {
    BallotInput {
        choice: Some(choice.into()),
        ..BallotInput::default()
    }
}

async fn vote(
    st: &Store,
    bx: &BallotBox,
    voter: Voter<'_>,
    poll: PollId,
    input: &BallotInput,
) -> Result<Cast, StoreError> {
    let p = prepare(&st.db, voter, poll).await?;
    let b = p.check(input)?;
    bx.cast(&p, &b).await
}

async fn by_code(
    st: &Store,
    bx: &BallotBox,
    h: &Hall,
    i: usize,
    poll: PollId,
    input: &BallotInput,
) -> Result<Cast, StoreError> {
    vote(st, bx, Voter::Code(&h.delegates[i].2), poll, input).await
}

dual_test!(async fn a_secret_motion_runs_from_quorum_to_published_result(t) {
    let st = &t.store;
    let h = hall(st, 60, 2, 45).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    for i in 0..45 {
        let c = if i < 31 { "yes" } else if i < 40 { "no" } else { "abstain" };
        if i % 2 == 0 {
            assert_eq!(by_code(st, &bx, &h, i, poll, &motion(c)).await.unwrap(), Cast::Stored);
        } else {
            let a = acting(h.org.school_a, h.delegates[i].0);
            assert_eq!(vote(st, &bx, Voter::Member(&a), poll, &motion(c)).await.unwrap(), Cast::Stored);
        }
    }
    let turnout = sv::turnout(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    assert_eq!((turnout.voted, turnout.eligible, turnout.present), (45, 60, 45));
    close(st, &h, poll).await;
    let r = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap();
    let PollResult::Motion(m) = r else { panic!("a motion result") };
    // 31 of all 60 delegates is more than half.
    assert!(m.passed);
    assert_eq!((m.base_count, m.needed), (60, 31));
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    assert_eq!(p.status, PollStatus::Published);
    assert_eq!(p.attendance.unwrap().present, 45);
    assert_eq!(p.electronic, Some(45));
    let tally = p.tally.unwrap();
    assert_eq!((tally.yes, tally.no, tally.abstain), (31, 9, 5));
});

dual_test!(async fn a_poll_does_not_open_without_quorum(t) {
    let st = &t.store;
    // 39 of 60 is below two thirds (40).
    let h = hall(st, 60, 0, 39).await;
    let id = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("决议", "motion", "secret", 0))
        .await
        .unwrap();
    let e = open(st, &h, id).await.unwrap_err();
    assert_eq!(key_of(e), t::NO_QUORUM);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), id).await.unwrap();
    assert_eq!(p.status, PollStatus::Draft);
});

dual_test!(async fn bad_votes_are_refused_and_change_nothing(t) {
    let st = &t.store;
    let h = hall(st, 30, 2, 25).await;
    let bx = BallotBox::start(st.db.clone());
    let draft = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("草案", "motion", "secret", 0))
        .await
        .unwrap();
    let poll = open_motion(st, &h, "secret").await;
    // Before opening.
    assert_eq!(key_of(by_code(st, &bx, &h, 0, draft, &motion("yes")).await.unwrap_err()), t::VOTE_NOT_OPEN);
    // An observer.
    let obs = Voter::Code(&h.observers[0].2);
    assert_eq!(key_of(vote(st, &bx, obs, poll, &motion("yes")).await.unwrap_err()), t::VOTE_OBSERVER);
    // A delegate who has not checked in (index 27 ≥ 25 present).
    assert_eq!(key_of(by_code(st, &bx, &h, 27, poll, &motion("yes")).await.unwrap_err()), t::VOTE_NOT_PRESENT);
    // Unknown and foreign codes.
    assert_eq!(key_of(vote(st, &bx, Voter::Code("ABCD-EFGH"), poll, &motion("yes")).await.unwrap_err()), t::CODE_UNKNOWN);
    let other = store::congress::meetings::create_meeting(st, &sys(), &who(), h.term, &MeetingInput {
        meeting_date: "2027-05-20".into(),
        place: "礼堂".into(),
        ..Default::default()
    }.parse().unwrap()).await.unwrap();
    let cards = store::congress::attendance::issue_codes(st, &sys(), &who(), other, Some(h.delegates[0].1)).await.unwrap();
    assert_eq!(key_of(vote(st, &bx, Voter::Code(&cards[0].code), poll, &motion("yes")).await.unwrap_err()), t::CODE_FOREIGN);
    // A forged poll id.
    assert!(matches!(by_code(st, &bx, &h, 0, PollId(poll.0 + 999), &motion("yes")).await, Err(StoreError::NotFound)));
    // A member of another school cannot even see the poll.
    let stranger = acting(h.org.school_b, h.delegates[0].0);
    assert!(matches!(vote(st, &bx, Voter::Member(&stranger), poll, &motion("yes")).await, Err(StoreError::NotFound)));
    // No choice.
    assert_eq!(key_of(by_code(st, &bx, &h, 0, poll, &BallotInput::default()).await.unwrap_err()), t::VOTE_CHOOSE);
    // Twice: the first ballot stands, by code or by login.
    assert_eq!(by_code(st, &bx, &h, 0, poll, &motion("yes")).await.unwrap(), Cast::Stored);
    assert_eq!(by_code(st, &bx, &h, 0, poll, &motion("no")).await.unwrap(), Cast::Already);
    let a = acting(h.org.school_a, h.delegates[0].0);
    assert_eq!(vote(st, &bx, Voter::Member(&a), poll, &motion("no")).await.unwrap(), Cast::Already);
    // A ballot prepared while open but cast after closing is refused by the box itself.
    let late = prepare(&st.db, Voter::Code(&h.delegates[1].2), poll).await.unwrap();
    let ballot = late.check(&motion("no")).unwrap();
    close(st, &h, poll).await;
    assert_eq!(key_of(bx.cast(&late, &ballot).await.unwrap_err()), t::VOTE_NOT_OPEN);
    assert_eq!(key_of(by_code(st, &bx, &h, 2, poll, &motion("yes")).await.unwrap_err()), t::VOTE_NOT_OPEN);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    let tally = p.tally.unwrap();
    assert_eq!((tally.ballots, tally.yes, tally.no), (1, 1, 0));
    assert_eq!(sv::turnout(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap().voted, 1);
});

async fn candidates(st: &Store, poll: PollId, members: &[MemberId]) -> Vec<OptionId> {
    let mut out = Vec::new();
    for m in members {
        out.push(sv::add_option(st, &sys(), &who(), poll, *m).await.unwrap());
    }
    out
}

fn election_ballot(opts: &[OptionId], for_: &[usize], write_in: Option<MemberId>) -> BallotInput {
    BallotInput {
        marks: opts
            .iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    *o,
                    if for_.contains(&i) {
                        "for".to_string()
                    } else {
                        "against".to_string()
                    },
                )
            })
            .collect(),
        write_ins: write_in.into_iter().collect(),
        ..BallotInput::default()
    }
}

dual_test!(async fn an_election_checks_its_margin_elects_by_rank_and_offers_a_further_round(t) {
    let st = &t.store;
    let h = hall(st, 40, 0, 40).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("工会委员会委员选举", "election", "secret", 3))
        .await
        .unwrap();
    let people: Vec<MemberId> = h.delegates[30..35].iter().map(|d| d.0).collect();
    let mut opts = candidates(st, poll, &people[..3]).await;
    // Three candidates for three seats is not competitive.
    assert_eq!(key_of(open(st, &h, poll).await.unwrap_err()), t::VOTE_MARGIN);
    opts.extend(candidates(st, poll, &people[3..4]).await);
    open(st, &h, poll).await.unwrap();
    // Too many "for" marks.
    assert_eq!(
        key_of(by_code(st, &bx, &h, 0, poll, &election_ballot(&opts, &[0, 1, 2, 3], None)).await.unwrap_err()),
        t::VOTE_TOO_MANY
    );
    // A write-in is resolved from a name; a stranger's name resolves to nobody.
    let write_in = sv::resolve_write_in(&st.db, store::congress::meetings::Viewer::view(&sys()), h.org.school_a, "代表0035").await.unwrap().unwrap();
    assert_eq!(write_in, h.delegates[35].0);
    assert_eq!(sv::resolve_write_in(&st.db, store::congress::meetings::Viewer::view(&sys()), h.org.school_a, "不存在的人").await.unwrap(), None);
    // A candidate is marked, not written in.
    assert_eq!(
        key_of(by_code(st, &bx, &h, 0, poll, &election_ballot(&opts, &[0], Some(people[1]))).await.unwrap_err()),
        t::VOTE_WRITE_IN_CANDIDATE
    );
    // 40 due: 21 needed. Ballots: 18 × {0, 1}; 4 × {0, 1, W}; 8 × {0, 2, W}; 7 × {2, 3, W};
    // 3 × {3, W}. Counts: 0 → 30, 1 → 22, W → 22, 2 → 15, 3 → 10.
    let plan: [(usize, &[usize], bool); 5] = [(18, &[0, 1], false), (4, &[0, 1], true), (8, &[0, 2], true), (7, &[2, 3], true), (3, &[3], true)];
    let mut i = 0;
    for (count, f, w) in plan {
        for _ in 0..count {
            by_code(st, &bx, &h, i, poll, &election_ballot(&opts, f, w.then_some(write_in))).await.unwrap();
            i += 1;
        }
    }
    close(st, &h, poll).await;
    let PollResult::Election(res) = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap() else { panic!() };
    assert_eq!(res.needed, 21);
    let elected: Vec<Standing> = res.rows.iter().filter(|r| r.outcome == Outcome::Elected).map(|r| r.who).collect();
    assert!(elected.contains(&Standing::Candidate(opts[0])), "{res:?}");
    assert!(elected.contains(&Standing::WriteIn(write_in)), "{res:?}");
    assert!(elected.contains(&Standing::Candidate(opts[1])), "{res:?}");
    assert_eq!((res.elected, res.vacant), (3, 0));
    let two = res.rows.iter().find(|r| r.who == Standing::Candidate(opts[2])).unwrap();
    assert_eq!((two.votes_for, two.outcome), (15, Outcome::NotElected));
    // No seat is left: no further round.
    assert_eq!(key_of(sv::further_round(st, &sys(), &who(), poll).await.unwrap_err()), t::VOTE_NOT_RUNOFF);

    // A second election where only one is elected: the further round is for two seats.
    let poll2 = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("经费审查委员会委员选举", "election", "secret", 3))
        .await
        .unwrap();
    let opts2 = candidates(st, poll2, &h.delegates[10..14].iter().map(|d| d.0).collect::<Vec<_>>()).await;
    open(st, &h, poll2).await.unwrap();
    for i in 0..40 {
        let f: Vec<usize> = if i < 25 { vec![0] } else { vec![1, 2, 3] };
        by_code(st, &bx, &h, i, poll2, &election_ballot(&opts2, &f, None)).await.unwrap();
    }
    close(st, &h, poll2).await;
    let PollResult::Election(res2) = sv::publish_poll(st, &sys(), &who(), poll2).await.unwrap() else { panic!() };
    assert_eq!((res2.elected, res2.vacant), (1, 2));
    let next = sv::further_round(st, &sys(), &who(), poll2).await.unwrap();
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), next).await.unwrap();
    assert_eq!((p.round, p.seats, p.status), (2, 2, PollStatus::Draft));
    assert_eq!(sv::options(&st.db, store::congress::meetings::Viewer::view(&sys()), next).await.unwrap().len(), 3);
    // The further round opens without the first round's margin.
    open(st, &h, next).await.unwrap();
});

dual_test!(async fn a_cadre_review_hides_results_below_the_minimum_and_from_other_delegates(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 30).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("民主评议学校领导干部", "cadre_review", "secret", 0))
        .await
        .unwrap();
    assert_eq!(key_of(open(st, &h, poll).await.unwrap_err()), t::VOTE_NO_OPTIONS);
    let leaders = candidates(st, poll, &[h.delegates[20].0, h.delegates[21].0]).await;
    open(st, &h, poll).await.unwrap();
    for i in 0..9 {
        let g = ["excellent", "competent", "basic"][i % 3];
        let input = BallotInput {
            marks: vec![(leaders[0], g.into()), (leaders[1], "incompetent".into())],
            ..BallotInput::default()
        };
        by_code(st, &bx, &h, i, poll, &input).await.unwrap();
    }
    close(st, &h, poll).await;
    let PollResult::CadreReview(r) = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap() else { panic!() };
    // Nine raters: the default minimum is ten.
    assert!(!r.shown);
    assert_eq!(r.rows[0].counts, [3, 3, 3, 0]);
    assert_eq!(r.rows[0].competent_bp, 6667);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    // The default audience is the presidium.
    store::congress::meetings::add_role(st, &sys(), &who(), h.meeting, h.delegates[5].0, MeetingRole::Presidium).await.unwrap();
    let see = |manage: Option<domain::auth::Cap<perm::CongressManage>>, member: Option<MemberId>| {
        let st = st.clone();
        let p = p.clone();
        let school = h.org.school_a;
        async move {
            let me = member.map(|m| acting(school, m));
            sv::may_see_review(&st.db, &p, sv::ReviewReader { manage: manage.as_ref(), attendee: me.as_ref() }).await.unwrap()
        }
    };
    assert!(see(None, Some(h.delegates[5].0)).await, "a member of the presidium");
    assert!(!see(None, Some(h.delegates[6].0)).await, "a delegate outside the presidium");
    assert!(see(Some(sys()), None).await, "those who run the congress");
    // Running another school's congress is not running this one.
    let other = actor(&[(Role::SchoolChair, h.org.school_b)]).authorize::<perm::CongressManage>().unwrap();
    assert!(!see(Some(other), Some(h.delegates[6].0)).await);
});

fn sheet(issued: u32, returned: u32, valid: u32, invalid: u32, yna: [u32; 3]) -> PaperInput {
    PaperInput {
        issued: issued.to_string(),
        returned: returned.to_string(),
        valid: valid.to_string(),
        invalid: invalid.to_string(),
        yes: yna[0].to_string(),
        no: yna[1].to_string(),
        abstain: yna[2].to_string(),
        ..PaperInput::default()
    }
}

dual_test!(async fn paper_counts_reconcile_and_a_different_scrutineer_confirms(t) {
    let st = &t.store;
    let h = hall(st, 40, 0, 36).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "paper").await;
    assert_eq!(key_of(by_code(st, &bx, &h, 5, poll, &motion("yes")).await.unwrap_err()), t::VOTE_PAPER_ONLY);
    let teller = acting(h.org.school_a, h.teller);
    let scrutineer = acting(h.org.school_a, h.scrutineers[0]);
    let other = acting(h.org.school_a, h.delegates[9].0);
    // Not before closing.
    assert_eq!(key_of(sv::enter_paper(st, &teller, &who(), poll, &sheet(36, 36, 36, 0, [30, 4, 2])).await.unwrap_err()), t::STEP_NOT_ALLOWED);
    close(st, &h, poll).await;
    assert_eq!(key_of(sv::enter_paper(st, &other, &who(), poll, &sheet(36, 36, 36, 0, [30, 4, 2])).await.unwrap_err()), t::PAPER_NOT_TELLER);
    assert_eq!(key_of(sv::enter_paper(st, &teller, &who(), poll, &sheet(36, 36, 35, 0, [30, 4, 1])).await.unwrap_err()), t::PAPER_VALID_SUM);
    assert!(sv::paper(&st.db, &sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap()).await.unwrap().is_none());
    // More returned than issued voids the round.
    assert_eq!(sv::enter_paper(st, &teller, &who(), poll, &sheet(36, 37, 37, 0, [30, 5, 2])).await.unwrap(), Reconciliation::Void);
    assert_eq!(key_of(sv::confirm_paper(st, &scrutineer, &who(), poll).await.unwrap_err()), t::PAPER_VOID);
    assert_eq!(key_of(sv::publish_poll(st, &sys(), &who(), poll).await.unwrap_err()), t::PAPER_VOID);
    // The recount.
    assert_eq!(sv::enter_paper(st, &teller, &who(), poll, &sheet(36, 35, 34, 1, [28, 4, 2])).await.unwrap(), Reconciliation::Ok);
    assert_eq!(key_of(sv::publish_poll(st, &sys(), &who(), poll).await.unwrap_err()), t::PAPER_UNCONFIRMED);
    assert_eq!(key_of(sv::confirm_paper(st, &teller, &who(), poll).await.unwrap_err()), t::PAPER_NOT_SCRUTINEER);
    // A scrutineer who is also the teller who entered it may not confirm.
    store::congress::meetings::add_role(st, &sys(), &who(), h.meeting, h.teller, MeetingRole::Scrutineer).await.unwrap();
    assert_eq!(key_of(sv::confirm_paper(st, &teller, &who(), poll).await.unwrap_err()), t::PAPER_SAME_PERSON);
    sv::confirm_paper(st, &scrutineer, &who(), poll).await.unwrap();
    let PollResult::Motion(m) = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap() else { panic!() };
    // 28 of 40 delegates.
    assert!(m.passed);

    // A mixed hall: 20 on phones, 10 on paper.
    let mixed = open_motion(st, &h, "secret").await;
    for i in 0..20 {
        by_code(st, &bx, &h, i, mixed, &motion(if i < 15 { "yes" } else { "no" })).await.unwrap();
    }
    close(st, &h, mixed).await;
    sv::enter_paper(st, &teller, &who(), mixed, &sheet(12, 10, 10, 0, [8, 1, 1])).await.unwrap();
    sv::confirm_paper(st, &scrutineer, &who(), mixed).await.unwrap();
    let PollResult::Motion(m) = sv::publish_poll(st, &sys(), &who(), mixed).await.unwrap() else { panic!() };
    assert!(m.passed, "15 + 8 = 23 of 40");
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), mixed).await.unwrap();
    assert_eq!(p.electronic, Some(20));
});

// The storage-order test that stood here read the ballots' plaintext from the box to show
// that rows were not in casting order. Issue 11 makes that very readability the flaw: the
// box now holds only sealed ballots, and the forensic attacks live in `forensic.rs`.
dual_test!(async fn secret_ballots_are_stored_sealed_one_length_and_gone_once_counted(t) {
    let st = &t.store;
    let n = 200;
    let h = hall(st, n, 0, n).await;
    let bx = BallotBox::start(st.db.clone());
    // Eight seats and eight candidates: each voter's marks spell their number in binary,
    // so every ballot is unique and a readable one would name its voter.
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &PollInput {
        title: "等额选举".into(),
        kind: "election".into(),
        mode: "secret".into(),
        seats: "8".into(),
        contest: "uncontested".into(),
        by_election: String::new(),
        union_office: String::new(),
    }.parse().unwrap()).await.unwrap();
    let opts = candidates(st, poll, &h.delegates[..8].iter().map(|d| d.0).collect::<Vec<_>>()).await;
    open(st, &h, poll).await.unwrap();
    let audit_before = audit_rows(st).await;
    let bits = |i: usize| -> Vec<usize> { (0..8).filter(|b| i >> b & 1 == 1).collect() };
    for i in 0..n {
        by_code(st, &bx, &h, i, poll, &election_ballot(&opts, &bits(i), None)).await.unwrap();
    }
    // The audit log holds no record per ballot: casting 200 added none.
    assert_eq!(audit_rows(st).await, audit_before, "casting ballots wrote audit records");
    // Nothing in the ballot box names a voter or a time: exactly these columns.
    assert_eq!(columns(st, "poll_ballot").await, vec!["content", "poll_id", "token"]);
    assert_eq!(columns(st, "poll_participation").await, vec!["delegate_id", "poll_id"]);
    let stored: Vec<String> = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT content FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_all(p).await).unwrap();
    assert_eq!(stored.len(), n);
    // No ballot can be read, and the length of one says nothing: all are alike.
    assert!(stored.iter().all(|c| Ballot::decode(c).is_none()));
    assert!(stored.iter().all(|c| c.len() == stored[0].len()), "sealed ballots differ in length");
    let wal = t.sqlite_path.as_ref().map(|p| std::path::PathBuf::from(format!("{}-wal", p.display())));
    if let Some(wal) = &wal {
        let len = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "the ballots went through the WAL while the poll was open");
    }
    close(st, &h, poll).await;
    if let Some(wal) = &wal {
        // Closing truncated the write-ahead log, which held the ballots in casting order.
        let len = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, 0, "the WAL still holds {len} bytes after closing");
    }
    let left: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_one(p).await).unwrap();
    assert_eq!(left, 0, "the sealed ballots are deleted once counted");
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    let tally = p.tally.unwrap();
    assert_eq!((tally.ballots, p.electronic), (n as u32, Some(n as u32)));
    for (b, o) in opts.iter().enumerate() {
        let want = (0..n).filter(|i| i >> b & 1 == 1).count() as u32;
        assert_eq!(tally.options[o][0], want, "votes for candidate {b}");
    }
    // Participation says who voted, all of them, rewritten in delegate order.
    let part: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT delegate_id FROM poll_participation WHERE poll_id = $1").bind(poll.0).fetch_all(p).await).unwrap();
    assert_eq!(part.len(), n);
});

dual_test!(async fn a_wrong_or_missing_share_cannot_count_and_changes_nothing(t) {
    let st = &t.store;
    let h = hall(st, 40, 0, 40).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    let other = open_motion(st, &h, "secret").await;
    for i in 0..40 {
        by_code(st, &bx, &h, i, poll, &motion(if i % 3 == 0 { "no" } else { "yes" })).await.unwrap();
    }
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    // Not counted: the result cannot be published yet.
    assert_eq!(key_of(sv::publish_poll(st, &sys(), &who(), poll).await.unwrap_err()), t::VOTE_NOT_COUNTED);
    let mine = testkit::hall::shares(&h, poll);
    let theirs = testkit::hall::shares(&h, other);
    assert_eq!(mine.len(), 2, "one share per scrutineer");
    let count = |codes: Vec<String>| async move {
        let c: Vec<&str> = codes.iter().map(String::as_str).collect();
        sv::count_poll(st, &sys(), &who(), poll, &c).await
    };
    // One share of two is not enough.
    assert_eq!(key_of(count(vec![mine[0].clone(), String::new()]).await.unwrap_err()), t::VOTE_SHARES_TOO_FEW);
    // A share of another poll is refused at its field.
    let e = count(vec![mine[0].clone(), theirs[1].clone()]).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("{e:?}") };
    assert_eq!((f.0[0].field, f.0[0].key), ("share1", t::VOTE_SHARE_INVALID));
    // A forged share with a right-looking check cannot be made without the poll id; a
    // typo is caught at its field too.
    let mut typo = mine[1].clone();
    let first = typo.remove(0);
    typo.insert(0, if first == '0' { '1' } else { '0' });
    assert_eq!(key_of(count(vec![mine[0].clone(), typo]).await.unwrap_err()), t::VOTE_SHARE_INVALID);
    // Nothing changed: still sealed, still not counted.
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    assert_eq!((p.tally.is_none(), p.electronic), (true, None));
    let sealed: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_one(p).await).unwrap();
    assert_eq!(sealed, 40);
    // Both right shares count, in any order.
    let tally = count(vec![mine[1].clone(), mine[0].clone()]).await.unwrap();
    assert_eq!((tally.ballots, tally.yes, tally.no), (40, 26, 14));
    let r = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap();
    assert!(matches!(r, PollResult::Motion(_)));
    // Counting twice is refused.
    assert_eq!(key_of(count(mine.clone()).await.unwrap_err()), t::VOTE_NOT_SEALED);
});

async fn audit_rows(st: &Store) -> i64 {
    store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn columns(st: &Store, table: &str) -> Vec<String> {
    let mut c: Vec<String> = match st.db.engine() {
        store::Engine::Sqlite => store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT name FROM pragma_table_info($1)").bind(table).fetch_all(p).await).unwrap(),
        store::Engine::Postgres => store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()").bind(table).fetch_all(p).await).unwrap(),
    };
    c.sort();
    c
}

dual_test!(async fn a_burst_of_concurrent_ballots_is_stored_once_each(t) {
    let st = &t.store;
    let n = 300;
    let h = hall(st, n, 0, n).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    let mut tasks = Vec::new();
    for i in 0..n {
        let st = st.clone();
        let bx = bx.clone();
        let code = h.delegates[i].2.clone();
        tasks.push(tokio::spawn(async move {
            // Every delegate presses twice.
            let a = vote(&st, &bx, Voter::Code(&code), poll, &motion("yes")).await;
            let b = vote(&st, &bx, Voter::Code(&code), poll, &motion("no")).await;
            (a.unwrap(), b.unwrap())
        }));
    }
    let mut stored = 0;
    for task in tasks {
        let (a, b) = task.await.unwrap();
        assert_eq!(a, Cast::Stored);
        assert_eq!(b, Cast::Already);
        stored += 1;
    }
    assert_eq!(stored, n);
    close(st, &h, poll).await;
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    let tally = p.tally.unwrap();
    assert_eq!((tally.ballots, tally.yes), (n as u32, n as u32));
});

dual_test!(async fn the_chair_who_printed_the_cards_cannot_vote_for_an_absent_delegate_checked_in_at_the_desk(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 25).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    // Delegate 27 is absent. Whoever printed the cards checks them in by name at the desk …
    store::congress::attendance::staff_check_in(st, &sys(), &who(), h.meeting, h.delegates[27].1).await.unwrap();
    // … and tries their card: refused.
    assert_eq!(key_of(by_code(st, &bx, &h, 27, poll, &motion("yes")).await.unwrap_err()), t::VOTE_CARD_NOT_CHECKED_IN);
    // Scanning the card afterwards changes nothing: the delegate is present already.
    let r = store::congress::attendance::code_check_in(st, &who(), &h.delegates[27].2, None).await.unwrap();
    assert!(matches!(r.outcome, store::congress::attendance::Outcome::Already { .. }));
    assert_eq!(key_of(by_code(st, &bx, &h, 27, poll, &motion("yes")).await.unwrap_err()), t::VOTE_CARD_NOT_CHECKED_IN);
    assert_eq!(sv::turnout(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap().voted, 0);
    // A delegate who checks in with the card votes with it; the use is recorded (when,
    // from where), with nothing about the ballot.
    let phone = store::audit::Who { account: None, label: "check-in-code@10.0.0.5".into(), request_id: None };
    store::congress::attendance::code_check_in(st, &phone, &h.delegates[29].2, None).await.unwrap();
    assert_eq!(by_code(st, &bx, &h, 29, poll, &motion("yes")).await.unwrap(), Cast::Stored);
    let used: (Option<String>, bool) = store::on_db!(&st.db, |p| sqlx::query_as("SELECT used_from, used_at IS NOT NULL FROM check_in_code WHERE delegate_id = $1").bind(h.delegates[29].1.0).fetch_one(p).await).unwrap();
    assert_eq!(used, (Some("check-in-code@10.0.0.5".into()), true));
});

dual_test!(async fn a_printed_card_stops_working_once_its_delegate_checks_in_on_their_own_phone(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 25).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    let a = acting(h.org.school_a, h.delegates[28].0);
    store::congress::attendance::self_check_in(st, &a, &who(), h.meeting).await.unwrap();
    // The copy of the card kept by whoever printed it no longer exists.
    assert_eq!(key_of(by_code(st, &bx, &h, 28, poll, &motion("no")).await.unwrap_err()), t::CODE_UNKNOWN);
    assert_eq!(key_of(store::congress::attendance::code_check_in(st, &who(), &h.delegates[28].2, None).await.unwrap_err()), t::CODE_UNKNOWN);
    // The delegate votes as themselves.
    assert_eq!(vote(st, &bx, Voter::Member(&a), poll, &motion("yes")).await.unwrap(), Cast::Stored);
});

/// The column names of a table, from the database itself.
async fn columns_of(t: &TestDb, table: &str) -> Vec<String> {
    let mut cols: Vec<String> = match t.engine {
        store::Engine::Postgres => store::on_db!(t.db(), |p| sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
        )
        .bind(table)
        .fetch_all(p)
        .await)
        .unwrap(),
        store::Engine::Sqlite => store::on_db!(t.db(), |p| sqlx::query_scalar(
            "SELECT name FROM pragma_table_info($1)"
        )
        .bind(table)
        .fetch_all(p)
        .await)
        .unwrap(),
    };
    cols.sort();
    cols
}

dual_test!(async fn a_self_check_in_gives_a_fresh_code_on_the_phone_and_the_printer_holds_none_that_votes(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 25).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    let a = acting(h.org.school_a, h.delegates[28].0);
    let phone = store::audit::Who { account: Some(domain::ids::AccountId(4242)), label: "account@10.0.0.9".into(), request_id: None };
    let r = store::congress::attendance::self_check_in(st, &a, &phone, h.meeting).await.unwrap();
    let fresh = r.code.clone().expect("a first self check-in gives a fresh code");
    assert_ne!(fresh, h.delegates[28].2);
    // Shown once: checking in again gives none.
    let again = store::congress::attendance::self_check_in(st, &a, &phone, h.meeting).await.unwrap();
    assert!(matches!(again.outcome, store::congress::attendance::Outcome::Already { .. }));
    assert_eq!(again.code, None);

    // Whoever printed the cards: the printed code is gone …
    assert_eq!(key_of(by_code(st, &bx, &h, 28, poll, &motion("no")).await.unwrap_err()), t::CODE_UNKNOWN);
    // … a reprinted card does not vote either (the delegate came in by phone, not by it) …
    let reprinted = store::congress::attendance::issue_codes(st, &sys(), &who(), h.meeting, Some(h.delegates[28].1)).await.unwrap();
    let reprinted = reprinted[0].code.clone();
    let r = store::congress::attendance::code_check_in(st, &who(), &reprinted, None).await.unwrap();
    assert!(matches!(r.outcome, store::congress::attendance::Outcome::Already { .. }));
    assert_eq!(key_of(vote(st, &bx, Voter::Code(&reprinted), poll, &motion("no")).await.unwrap_err()), t::VOTE_CARD_NOT_CHECKED_IN);
    // … and the fresh code cannot be used to check in anyone again.
    assert_eq!(key_of(store::congress::attendance::code_check_in(st, &who(), &fresh, None).await.unwrap_err()), t::CODE_USED);
    assert_eq!(sv::turnout(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap().voted, 0);

    // The delegate votes with the fresh code, once.
    assert_eq!(vote(st, &bx, Voter::Code(&fresh), poll, &motion("yes")).await.unwrap(), Cast::Stored);
    assert_eq!(vote(st, &bx, Voter::Code(&fresh), poll, &motion("no")).await.unwrap(), Cast::Already);
    assert_eq!(vote(st, &bx, Voter::Member(&a), poll, &motion("no")).await.unwrap(), Cast::Already);

    // The use is recorded: who (the delegate's account) and from where, at the check-in.
    let used: Vec<(Option<i64>, Option<String>, bool)> = store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT used_by, used_from, used_at IS NOT NULL FROM check_in_code WHERE delegate_id = $1 AND on_phone"
    ).bind(h.delegates[28].1.0).fetch_all(p).await).unwrap();
    assert_eq!(used, vec![(Some(4242), Some("account@10.0.0.9".into()), true)]);
    // Nothing stored links a code, its use or a delegate to a choice: the codes' table
    // names no poll or ballot, the ballots' table names no code or delegate.
    assert_eq!(columns_of(&t, "check_in_code").await, ["code_hash", "created_at", "delegate_id", "meeting_id", "on_phone", "used_at", "used_by", "used_from"]);
    assert_eq!(columns_of(&t, "poll_ballot").await, ["content", "poll_id", "token"]);
});
