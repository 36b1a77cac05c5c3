//! The outbox, the schedule leases and the inbox in the store: a job lives and dies with the
//! change that wrote it, failing jobs back off and park, an administrator retries them,
//! workers never share a job, a dead worker's job is taken again, a scheduled run happens
//! once per slot. Every test runs on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use domain::auth::{Role, perm};
use domain::ids::{AccountId, OrgUnitId};
use domain::outbox::{Backoff, Channel, JobStatus, Message, MessageKind};
use std::collections::BTreeSet;
use store::auth::NewAccount;
use store::inbox::{self, NewItem};
use store::outbox::{self, NewJob};
use store::{Store, StoreError};
use testkit::*;

fn job(key: &str, unit: Option<OrgUnitId>, now: DateTime<Utc>) -> NewJob {
    NewJob {
        channel: Channel::Webhook,
        idempotency_key: key.into(),
        org_unit: unit,
        account: None,
        payload: r#"{"url":"http://127.0.0.1:9/"}"#.into(),
        run_at: now,
        max_attempts: 3,
    }
}

async fn put(st: &Store, jobs: &[NewJob]) -> u64 {
    let mut tx = st.db.begin().await.unwrap();
    let n = outbox::enqueue(&mut tx, jobs, store::now()).await.unwrap();
    tx.commit().await.unwrap();
    n
}

async fn status_of(st: &Store, key: &str) -> (String, i64, DateTime<Utc>) {
    store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT status, attempts, run_at FROM job WHERE idempotency_key = $1"
    )
    .bind(key)
    .fetch_one(p)
    .await)
    .unwrap()
}

dual_test!(async fn a_job_is_written_with_its_change_and_vanishes_when_the_change_is_rolled_back(t) {
    let st = &t.store;
    let now = store::now();
    {
        let mut tx = st.db.begin().await.unwrap();
        outbox::enqueue(&mut tx, &[job("rolled-back", None, now)], now).await.unwrap();
        // Dropped without commit: the change failed, so its notification never existed.
    }
    assert!(outbox::claim(&st.db, "w", 10, std::time::Duration::from_secs(60), now).await.unwrap().is_empty());
    assert_eq!(put(st, &[job("k1", None, now)]).await, 1);
    // The same send twice is no change.
    assert_eq!(put(st, &[job("k1", None, now), job("k2", None, now)]).await, 1);
    let got = outbox::claim(&st.db, "w", 10, std::time::Duration::from_secs(60), now).await.unwrap();
    assert_eq!(got.iter().map(|j| j.idempotency_key.as_str()).collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(outbox::complete(&st.db, &[got[0].id, got[1].id], now).await.unwrap(), 2);
    assert_eq!(status_of(st, "k1").await.0, "done");
});

dual_test!(async fn a_failing_job_waits_longer_after_each_try_is_parked_after_the_last_and_an_admin_retries_it(t) {
    let st = &t.store;
    let o = org(st).await;
    let t0 = store::now();
    put(st, &[job("flaky", Some(o.school_a), t0)]).await;
    let b = Backoff { base: std::time::Duration::from_secs(10), cap: std::time::Duration::from_secs(3600), max_attempts: 3 };
    let lease = std::time::Duration::from_secs(60);
    let j = outbox::claim(&st.db, "w", 10, lease, t0).await.unwrap().remove(0);
    assert_eq!(outbox::fail(&st.db, &j, "HTTP 500", &b, t0).await.unwrap(), JobStatus::Ready);
    assert_eq!(status_of(st, "flaky").await.2, t0 + Duration::seconds(10));
    // Not due yet: nobody takes it.
    assert!(outbox::claim(&st.db, "w", 10, lease, t0 + Duration::seconds(9)).await.unwrap().is_empty());
    let t1 = t0 + Duration::seconds(10);
    let j = outbox::claim(&st.db, "w", 10, lease, t1).await.unwrap().remove(0);
    assert_eq!(j.attempts, 2);
    outbox::fail(&st.db, &j, "HTTP 500", &b, t1).await.unwrap();
    assert_eq!(status_of(st, "flaky").await.2, t1 + Duration::seconds(20));
    let t2 = t1 + Duration::seconds(20);
    let j = outbox::claim(&st.db, "w", 10, lease, t2).await.unwrap().remove(0);
    assert_eq!(outbox::fail(&st.db, &j, "errcode 93000: invalid webhook url", &b, t2).await.unwrap(), JobStatus::Parked);
    assert!(outbox::claim(&st.db, "w", 10, lease, t2 + Duration::days(1)).await.unwrap().is_empty());
    // The admin sees it with its error; a chair of another area does not.
    let admin = actor(&[(Role::UnionStaff, o.union)]).authorize::<perm::OrgManage>().unwrap();
    let parked = outbox::parked(&st.db, &admin, 50).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].last_error.as_deref(), Some("errcode 93000: invalid webhook url"));
    assert_eq!(parked[0].attempts, 3);
    assert_eq!(outbox::counts(&st.db, &admin).await.unwrap(), (0, 0, 1));
    let other_cap = actor(&[(Role::UnionStaff, o.area_b)]).authorize::<perm::OrgManage>().unwrap();
    assert!(outbox::parked(&st.db, &other_cap, 50).await.unwrap().is_empty());
    assert!(matches!(outbox::retry(st, &other_cap, &who(), parked[0].id, t2).await, Err(StoreError::NotFound)));
    outbox::retry(st, &admin, &who(), parked[0].id, t2).await.unwrap();
    let j = outbox::claim(&st.db, "w", 10, lease, t2).await.unwrap().remove(0);
    assert_eq!(j.attempts, 1, "a retried job gets its tries afresh");
    let audit = store::audit::list(&st.db, &sys(), &Default::default(), 10).await.unwrap();
    assert_eq!(audit[0].action, "job.retry");
});

dual_test!(async fn two_workers_taking_jobs_at_once_never_take_the_same_one(t) {
    let st = &t.store;
    let now = store::now();
    let jobs: Vec<NewJob> = (0..300).map(|i| job(&format!("j{i}"), None, now)).collect();
    put(st, &jobs).await;
    let mut handles = Vec::new();
    for w in 0..3 {
        let db = st.db.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = outbox::claim(&db, &format!("w{w}"), 7, std::time::Duration::from_secs(60), now).await.unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.iter().map(|j| j.id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 300, "every job taken exactly once");
    assert_eq!(distinct.len(), 300);
});

dual_test!(async fn a_job_whose_worker_died_is_taken_again_when_its_lease_runs_out(t) {
    let st = &t.store;
    let now = store::now();
    put(st, &[job("orphan", None, now)]).await;
    let lease = std::time::Duration::from_secs(30);
    assert_eq!(outbox::claim(&st.db, "dead", 10, lease, now).await.unwrap().len(), 1);
    assert!(outbox::claim(&st.db, "alive", 10, lease, now + Duration::seconds(29)).await.unwrap().is_empty());
    let again = outbox::claim(&st.db, "alive", 10, lease, now + Duration::seconds(31)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].idempotency_key, "orphan", "the receiver can drop the repeat by its key");
});

dual_test!(async fn a_scheduled_run_happens_once_per_slot_across_processes_and_is_taken_over_after_a_crash(t) {
    let db = t.db();
    let now = store::now();
    let slot = now - Duration::minutes(1);
    let lease = std::time::Duration::from_secs(600);
    assert!(outbox::claim_schedule(db, "reminders", slot, "p1", lease, now).await.unwrap());
    assert!(!outbox::claim_schedule(db, "reminders", slot, "p2", lease, now).await.unwrap());
    // Another schedule or slot is its own run.
    assert!(outbox::claim_schedule(db, "digest", slot, "p2", lease, now).await.unwrap());
    // p1 died: after its lease, p2 takes the run over; once finished, nobody runs it again.
    let later = now + Duration::minutes(11);
    assert!(outbox::claim_schedule(db, "reminders", slot, "p2", lease, later).await.unwrap());
    outbox::finish_schedule(db, "reminders", slot, later).await.unwrap();
    assert!(!outbox::claim_schedule(db, "reminders", slot, "p3", lease, later + Duration::hours(1)).await.unwrap());
});

async fn account(st: &Store, name: &str) -> AccountId {
    store::auth::create_account_system(
        &domain::auth::SystemCap::for_cli(),
        st,
        &who(),
        &NewAccount {
            username: name.into(),
            display_name: name.into(),
            member: None,
            password_hash: None,
        },
    )
    .await
    .unwrap()
}

dual_test!(async fn an_inbox_item_is_counted_unread_until_its_owner_opens_it_and_nobody_else_can(t) {
    let st = &t.store;
    let a = account(st, "dept").await;
    let b = account(st, "other").await;
    let msg = Message::new(MessageKind::ProposalOverdue, &[("title", "维修饮水机".into())], "/proposals/7");
    let now = store::now();
    let mut tx = st.db.begin().await.unwrap();
    let item = |k: &str| NewItem { account: a, org_unit: None, message: msg.clone(), idempotency_key: k.into() };
    assert_eq!(inbox::add(&mut tx, &[item("i1"), item("i2"), item("i1")], now).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert_eq!(inbox::unread_count(&st.db, a).await.unwrap(), 2);
    assert_eq!(inbox::unread_count(&st.db, b).await.unwrap(), 0);
    let items = inbox::list(&st.db, a, None, 20).await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].message, msg);
    assert!(matches!(inbox::open(&st.db, b, items[0].id, now).await, Err(StoreError::NotFound)));
    assert_eq!(inbox::open(&st.db, a, items[0].id, now).await.unwrap(), "/proposals/7");
    assert_eq!(inbox::unread_count(&st.db, a).await.unwrap(), 1);
    assert_eq!(inbox::list(&st.db, a, Some(items[0].id), 20).await.unwrap().len(), 1);
    assert_eq!(inbox::mark_all_read(&st.db, a, now).await.unwrap(), 1);
    assert_eq!(inbox::unread_count(&st.db, a).await.unwrap(), 0);
});
