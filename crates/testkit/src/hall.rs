//! A congress hall for voting tests and benchmarks: a school with a term, many delegates
//! (and a few observers), an open meeting where most delegates have checked in, a teller
//! and two scrutineers, and the one-time codes of every card.
//!
//! The members, mandates and check-ins are inserted in bulk (thousands in a second); the
//! term, the meeting and the codes go through the store as the application makes them.

use crate::{org, sys, who};
use chrono::NaiveDate;
use domain::congress::*;
use domain::ids::MemberId;
use domain::voting::{PollDraft, PollId, PollInput};
use store::Store;
use store::congress::{attendance, meetings, terms};

pub struct Hall {
    pub org: crate::Org,
    pub term: TermId,
    pub meeting: MeetingId,
    /// Voting delegates: member, mandate, card code. The first `present` are checked in.
    pub delegates: Vec<(MemberId, DelegateId, String)>,
    pub observers: Vec<(MemberId, DelegateId, String)>,
    pub present: usize,
    pub teller: MemberId,
    pub scrutineers: [MemberId; 2],
    /// The scrutineers' shares of each secret poll opened through [`open`], as they would
    /// have copied them, so that [`close`] can count.
    pub shares: std::sync::Mutex<std::collections::HashMap<i64, Vec<String>>>,
}

/// Opens a poll as its manager does and keeps the scrutineers' shares (a secret poll).
pub async fn open(st: &Store, h: &Hall, id: PollId) -> Result<(), store::StoreError> {
    let o = store::voting::open_poll(st, &sys(), &who(), id).await?;
    if !o.shares.is_empty() {
        let codes = o.shares.iter().map(|s| s.code.to_string()).collect();
        h.shares
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.0, codes);
    }
    Ok(())
}

/// The shares kept for a secret poll opened through [`open`] (empty for others).
pub fn shares(h: &Hall, id: PollId) -> Vec<String> {
    h.shares
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id.0)
        .cloned()
        .unwrap_or_default()
}

/// Closes a poll and, for a secret one, has its scrutineers count it with their shares.
pub async fn close(st: &Store, h: &Hall, id: PollId) {
    store::voting::close_poll(st, &sys(), &who(), id)
        .await
        .expect("close poll");
    let codes = shares(h, id);
    if !codes.is_empty() {
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        store::voting::count_poll(st, &sys(), &who(), id, &codes)
            .await
            .expect("count with the scrutineers' shares");
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// Builds the hall. `present` of the `delegates` check in; observers all do.
pub async fn hall(st: &Store, delegates: usize, observers: usize, present: usize) -> Hall {
    let org = org(st).await;
    hall_in(st, org, delegates, observers, present).await
}

/// The hall in school A of an org tree that exists already.
pub async fn hall_in(
    st: &Store,
    org: crate::Org,
    delegates: usize,
    observers: usize,
    present: usize,
) -> Hall {
    let school = org.school_a;
    let term = terms::create_term(
        st,
        &sys(),
        &who(),
        school,
        &TermDraft {
            number: 4,
            mode: CongressMode::Congress,
            start_date: d(2025, 9, 1),
            end_date: d(2028, 8, 31),
        },
    )
    .await
    .expect("term");
    let meeting = meetings::create_meeting(
        st,
        &sys(),
        &who(),
        term,
        &MeetingInput {
            meeting_date: "2026-11-25".into(),
            place: "学术报告厅".into(),
            ..Default::default()
        }
        .parse()
        .expect("meeting form"),
    )
    .await
    .expect("meeting");
    meetings::set_status(st, &sys(), &who(), meeting, MeetingStatus::Open)
        .await
        .expect("open meeting");

    let total = delegates + observers;
    let mut tx = st.db.begin().await.expect("begin");
    let now = store::now();
    let mut rows = Vec::with_capacity(total);
    for i in 0..total {
        let kind = if i < delegates {
            "delegate"
        } else {
            "observer"
        };
        let name = format!("{}{:04}", if i < delegates { "代表" } else { "列席" }, i);
        let idx = format!("hall-{}-{i}", school.0).into_bytes();
        let member: i64 = store::on_tx!(&mut tx, |c| sqlx::query_scalar(
            "INSERT INTO member (school_union_id, name, gender, birth_date, id_number_enc, id_number_idx, id_tail_idx, post, status, status_since, created_at, updated_at, name_pinyin, name_initials)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'teacher', 'active', $8, $9, $9, $10, $11) RETURNING id"
        )
        .bind(school.0)
        .bind(&name)
        .bind(if i % 2 == 0 { "female" } else { "male" })
        .bind(d(1985, 1, 1))
        .bind(&idx)
        .bind(&idx)
        .bind(&idx)
        .bind(d(2010, 9, 1))
        .bind(now)
        .bind(domain::pinyin::name_keys(&name).sort)
        .bind(domain::pinyin::name_keys(&name).initials)
        .fetch_one(&mut *c)
        .await)
        .expect("member");
        let delegate: i64 = store::on_tx!(&mut tx, |c| sqlx::query_scalar(
            "INSERT INTO delegate (term_id, member_id, kind, started_on, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
        )
        .bind(term.0)
        .bind(member)
        .bind(kind)
        .bind(d(2025, 9, 1))
        .bind(now)
        .fetch_one(&mut *c)
        .await)
        .expect("delegate");
        if i < present || i >= delegates {
            store::on_tx!(&mut tx, |c| sqlx::query(
                "INSERT INTO check_in (meeting_id, delegate_id, at, method, late) VALUES ($1, $2, $3, 'code', FALSE)"
            )
            .bind(meeting.0)
            .bind(delegate)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))
            .expect("check in");
        }
        rows.push((MemberId(member), DelegateId(delegate)));
    }
    tx.commit().await.expect("commit");

    let cards = attendance::issue_codes(st, &sys(), &who(), meeting, None)
        .await
        .expect("codes");
    // Those present checked in with their own card: only such a card may vote.
    store::on_db!(&st.db, |c| sqlx::query(
        "UPDATE check_in_code SET used_at = $2 WHERE meeting_id = $1 AND delegate_id IN (SELECT delegate_id FROM check_in WHERE meeting_id = $1)"
    )
    .bind(meeting.0)
    .bind(store::now())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .expect("cards used at check-in");
    let code_of = |d: DelegateId| {
        cards
            .iter()
            .find(|c| c.delegate == d)
            .map(|c| c.code.clone())
            .unwrap_or_default()
    };
    let mut voting = Vec::new();
    let mut watching = Vec::new();
    for (i, (m, dl)) in rows.into_iter().enumerate() {
        let row = (m, dl, code_of(dl));
        if i < delegates {
            voting.push(row);
        } else {
            watching.push(row);
        }
    }
    let teller = voting[0].0;
    let scrutineers = [voting[1].0, voting[2].0];
    meetings::add_role(st, &sys(), &who(), meeting, teller, MeetingRole::Teller)
        .await
        .expect("teller");
    for s in scrutineers {
        meetings::add_role(st, &sys(), &who(), meeting, s, MeetingRole::Scrutineer)
            .await
            .expect("scrutineer");
    }
    Hall {
        org,
        term,
        meeting,
        delegates: voting,
        observers: watching,
        present,
        teller,
        scrutineers,
        shares: Default::default(),
    }
}

/// A poll draft from the form's words.
pub fn poll_draft(title: &str, kind: &str, mode: &str, seats: u32) -> PollDraft {
    PollInput {
        title: title.into(),
        kind: kind.into(),
        mode: mode.into(),
        seats: seats.to_string(),
        contest: "competitive".into(),
        by_election: String::new(),
        union_office: String::new(),
    }
    .parse()
    .expect("poll form")
}

/// Creates and opens a secret motion poll in the hall.
pub async fn open_motion(st: &Store, h: &Hall, mode: &str) -> PollId {
    let id = store::voting::create_poll(
        st,
        &sys(),
        &who(),
        h.meeting,
        None,
        &poll_draft("关于学校绩效工资分配方案的决议", "motion", mode, 0),
    )
    .await
    .expect("poll");
    open(st, h, id).await.expect("open poll");
    id
}
