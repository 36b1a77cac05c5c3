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
use testkit::hall::{Hall, hall, open_motion, poll_draft};
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
    let turnout = sv::turnout(&st.db, poll).await.unwrap();
    assert_eq!((turnout.voted, turnout.eligible, turnout.present), (45, 60, 45));
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    let r = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap();
    let PollResult::Motion(m) = r else { panic!("a motion result") };
    // 31 of all 60 delegates is more than half.
    assert!(m.passed);
    assert_eq!((m.base_count, m.needed), (60, 31));
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), poll).await.unwrap();
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
    let e = sv::open_poll(st, &sys(), &who(), id).await.unwrap_err();
    assert_eq!(key_of(e), t::NO_QUORUM);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), id).await.unwrap();
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
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    assert_eq!(key_of(bx.cast(&late, &ballot).await.unwrap_err()), t::VOTE_NOT_OPEN);
    assert_eq!(key_of(by_code(st, &bx, &h, 2, poll, &motion("yes")).await.unwrap_err()), t::VOTE_NOT_OPEN);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), poll).await.unwrap();
    let tally = p.tally.unwrap();
    assert_eq!((tally.ballots, tally.yes, tally.no), (1, 1, 0));
    assert_eq!(sv::turnout(&st.db, poll).await.unwrap().voted, 1);
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
    assert_eq!(key_of(sv::open_poll(st, &sys(), &who(), poll).await.unwrap_err()), t::VOTE_MARGIN);
    opts.extend(candidates(st, poll, &people[3..4]).await);
    sv::open_poll(st, &sys(), &who(), poll).await.unwrap();
    // Too many "for" marks.
    assert_eq!(
        key_of(by_code(st, &bx, &h, 0, poll, &election_ballot(&opts, &[0, 1, 2, 3], None)).await.unwrap_err()),
        t::VOTE_TOO_MANY
    );
    // A write-in is resolved from a name; a stranger's name resolves to nobody.
    let write_in = sv::resolve_write_in(&st.db, h.org.school_a, "代表0035").await.unwrap().unwrap();
    assert_eq!(write_in, h.delegates[35].0);
    assert_eq!(sv::resolve_write_in(&st.db, h.org.school_a, "不存在的人").await.unwrap(), None);
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
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
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
    sv::open_poll(st, &sys(), &who(), poll2).await.unwrap();
    for i in 0..40 {
        let f: Vec<usize> = if i < 25 { vec![0] } else { vec![1, 2, 3] };
        by_code(st, &bx, &h, i, poll2, &election_ballot(&opts2, &f, None)).await.unwrap();
    }
    sv::close_poll(st, &sys(), &who(), poll2).await.unwrap();
    let PollResult::Election(res2) = sv::publish_poll(st, &sys(), &who(), poll2).await.unwrap() else { panic!() };
    assert_eq!((res2.elected, res2.vacant), (1, 2));
    let next = sv::further_round(st, &sys(), &who(), poll2).await.unwrap();
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), next).await.unwrap();
    assert_eq!((p.round, p.seats, p.status), (2, 2, PollStatus::Draft));
    assert_eq!(sv::options(&st.db, next).await.unwrap().len(), 3);
    // The further round opens without the first round's margin.
    sv::open_poll(st, &sys(), &who(), next).await.unwrap();
});

dual_test!(async fn a_cadre_review_hides_results_below_the_minimum_and_from_other_delegates(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 30).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("民主评议学校领导干部", "cadre_review", "secret", 0))
        .await
        .unwrap();
    assert_eq!(key_of(sv::open_poll(st, &sys(), &who(), poll).await.unwrap_err()), t::VOTE_NO_OPTIONS);
    let leaders = candidates(st, poll, &[h.delegates[20].0, h.delegates[21].0]).await;
    sv::open_poll(st, &sys(), &who(), poll).await.unwrap();
    for i in 0..9 {
        let g = ["excellent", "competent", "basic"][i % 3];
        let input = BallotInput {
            marks: vec![(leaders[0], g.into()), (leaders[1], "incompetent".into())],
            ..BallotInput::default()
        };
        by_code(st, &bx, &h, i, poll, &input).await.unwrap();
    }
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    let PollResult::CadreReview(r) = sv::publish_poll(st, &sys(), &who(), poll).await.unwrap() else { panic!() };
    // Nine raters: the default minimum is ten.
    assert!(!r.shown);
    assert_eq!(r.rows[0].counts, [3, 3, 3, 0]);
    assert_eq!(r.rows[0].competent_bp, 6667);
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), poll).await.unwrap();
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
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    assert_eq!(key_of(sv::enter_paper(st, &other, &who(), poll, &sheet(36, 36, 36, 0, [30, 4, 2])).await.unwrap_err()), t::PAPER_NOT_TELLER);
    assert_eq!(key_of(sv::enter_paper(st, &teller, &who(), poll, &sheet(36, 36, 35, 0, [30, 4, 1])).await.unwrap_err()), t::PAPER_VALID_SUM);
    assert!(sv::paper(&st.db, &sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), poll).await.unwrap()).await.unwrap().is_none());
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
    sv::close_poll(st, &sys(), &who(), mixed).await.unwrap();
    sv::enter_paper(st, &teller, &who(), mixed, &sheet(12, 10, 10, 0, [8, 1, 1])).await.unwrap();
    sv::confirm_paper(st, &scrutineer, &who(), mixed).await.unwrap();
    let PollResult::Motion(m) = sv::publish_poll(st, &sys(), &who(), mixed).await.unwrap() else { panic!() };
    assert!(m.passed, "15 + 8 = 23 of 40");
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), mixed).await.unwrap();
    assert_eq!(p.electronic, Some(20));
});

/// Spearman's rank correlation of two orderings of the same items.
fn rank_correlation(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len() as f64;
    let mut pos_b = vec![0usize; a.len()];
    for (i, x) in b.iter().enumerate() {
        pos_b[*x] = i;
    }
    let d2: f64 = a
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let d = i as f64 - pos_b[*x] as f64;
            d * d
        })
        .sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

dual_test!(async fn secret_ballots_cannot_be_linked_to_voters_by_content_columns_or_order(t) {
    let st = &t.store;
    let n = 200;
    let h = hall(st, n, 0, n).await;
    let bx = BallotBox::start(st.db.clone());
    // Eight seats and eight candidates: each voter's marks spell their number in binary,
    // so every ballot is unique and its storage position can be traced back to its voter.
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
    sv::open_poll(st, &sys(), &who(), poll).await.unwrap();
    let bits = |i: usize| -> Vec<usize> { (0..8).filter(|b| i >> b & 1 == 1).collect() };
    // One at a time, in a known order: the worst case (a batch of one per ballot).
    for i in 0..n {
        by_code(st, &bx, &h, i, poll, &election_ballot(&opts, &bits(i), None)).await.unwrap();
    }
    let decode = |content: &str| -> usize {
        let Some(Ballot::Election { m, .. }) = Ballot::decode(content) else { panic!("{content}") };
        m.iter().filter(|(_, k)| *k == Mark::For).map(|(o, _)| 1usize << opts.iter().position(|x| x == o).unwrap()).sum()
    };
    let cast_order: Vec<usize> = (0..n).collect();

    // Nothing in the ballot box names a voter or a time: exactly these columns.
    let cols = columns(st, "poll_ballot").await;
    assert_eq!(cols, vec!["content", "poll_id", "token"]);
    assert_eq!(columns(st, "poll_participation").await, vec!["delegate_id", "poll_id"]);

    if t.engine == store::Engine::Sqlite {
        // The table is stored in token order, not in the order of casting, already while
        // the poll is open.
        let stored: Vec<String> = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT content FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_all(p).await).unwrap();
        let order: Vec<usize> = stored.iter().map(|c| decode(c)).collect();
        assert_eq!(order.len(), n);
        let rho = rank_correlation(&cast_order, &order);
        assert!(rho.abs() < 0.3, "storage order follows casting order: rho = {rho}");
    }
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    let physical: Vec<String> = match t.engine {
        store::Engine::Sqlite => store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT content FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_all(p).await).unwrap(),
        store::Engine::Postgres => {
            // After closing every ballot is one tuple of one transaction, in token order.
            let xmins: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(DISTINCT xmin::text) FROM poll_ballot WHERE poll_id = $1").bind(poll.0).fetch_one(p).await).unwrap();
            assert_eq!(xmins, 1);
            store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT content FROM poll_ballot WHERE poll_id = $1 ORDER BY ctid").bind(poll.0).fetch_all(p).await).unwrap()
        }
    };
    let order: Vec<usize> = physical.iter().map(|c| decode(c)).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, cast_order, "every ballot is there once");
    let rho = rank_correlation(&cast_order, &order);
    assert!(rho.abs() < 0.3, "physical order follows casting order: rho = {rho}");
    // Participation is keyed by delegate: its order says who, never in what order.
    let part: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT delegate_id FROM poll_participation WHERE poll_id = $1").bind(poll.0).fetch_all(p).await).unwrap();
    assert_eq!(part.len(), n);
});

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
    sv::close_poll(st, &sys(), &who(), poll).await.unwrap();
    let p = sv::get_poll(&st.db, store::congress::meetings::Viewer::Staff(&domain::auth::Scope::All), poll).await.unwrap();
    let tally = p.tally.unwrap();
    assert_eq!((tally.ballots, tally.yes), (n as u32, n as u32));
});
