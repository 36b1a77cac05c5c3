//! A ballot is acknowledged only after its transaction has committed: kill -9 during a
//! burst of ballots, and every ballot the writer had acknowledged is in the box, none is
//! there twice, and turnout equals the ballots stored. (An acknowledgement sent before the
//! commit would be lost with the process and fail the first check.)
//!
//! The test runs itself twice: as the parent it prepares a hall and an open poll, starts
//! this same test binary as a child (with `JIAOGONG_CRASH_CHILD` set) that casts ballots
//! from 600 delegates at once and prints each acknowledgement, kills it with SIGKILL in
//! the middle of the burst, and then checks the database. SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use store::voting::ballot_box::{BallotBox, Cast, Voter, prepare};
use store::{Cipher, Db, DbOptions, Store};
use testkit::hall::{hall, open_motion};

const CHILD: &str = "JIAOGONG_CRASH_CHILD";
const DELEGATES: usize = 600;

/// The child: cast every code given on stdin's file at once, print "ack N" after each
/// acknowledged ballot. It never returns by itself before it is killed (it waits at the end).
async fn child(spec: &str) {
    let v: serde_json::Value = serde_json::from_str(spec).unwrap();
    let url = v["url"].as_str().unwrap();
    let schema = v["schema"].as_str().map(String::from);
    let poll = domain::voting::PollId(v["poll"].as_i64().unwrap());
    let codes: Vec<String> = v["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let db = Db::connect(
        url,
        &DbOptions {
            max_connections: 8,
            pg_schema: schema,
        },
    )
    .await
    .unwrap();
    let st = Store::new(db, Cipher::new(&testkit::TEST_KEY));
    let bx = BallotBox::start(st.db.clone());
    let mut tasks = Vec::new();
    for (i, code) in codes.into_iter().enumerate() {
        let st = st.clone();
        let bx = bx.clone();
        tasks.push(tokio::spawn(async move {
            // Spread over about half a second so that the kill lands mid-burst.
            tokio::time::sleep(std::time::Duration::from_micros((i as u64 * 797) % 500_000)).await;
            let p = prepare(&st.db, Voter::Code(&code), poll).await.unwrap();
            let b = p
                .check(&domain::voting::BallotInput {
                    choice: Some("yes".into()),
                    ..Default::default()
                })
                .unwrap();
            if bx.cast(&p, &b).await.unwrap() == Cast::Stored {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                writeln!(out, "ack {i}").unwrap();
                out.flush().unwrap();
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    println!("done");
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
}

async fn run(t: testkit::TestDb) {
    let st = &t.store;
    let h = hall(st, DELEGATES, 0, DELEGATES).await;
    let poll = open_motion(st, &h, "secret").await;
    let (url, schema) = t.address();
    let spec = serde_json::json!({
        "url": url,
        "schema": schema,
        "poll": poll.0,
        "codes": h.delegates.iter().map(|d| d.2.clone()).collect::<Vec<_>>(),
    });
    let spec_path = std::env::temp_dir().join(format!(
        "jiaogong-crash-{}-{}.json",
        std::process::id(),
        poll.0
    ));
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_ballot_is_acknowledged_only_after_its_commit_so_kill_9_loses_none_acknowledged",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &spec_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut killed = false;
    while let Some(Ok(line)) = lines.next() {
        if let Some(n) = line.strip_prefix("ack ") {
            acked.push(n.parse::<usize>().unwrap());
        }
        if !killed && acked.len() >= DELEGATES / 4 {
            // SIGKILL: no destructor, no flush, no goodbye.
            child.kill().unwrap();
            killed = true;
        }
        if line == "done" {
            break;
        }
    }
    let _ = child.wait();
    let _ = std::fs::remove_file(&spec_path);
    assert!(killed, "the child finished before it could be killed");
    assert!(!acked.is_empty());

    // A new process would open the database afresh; so does this check.
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 2,
            pg_schema: schema,
        },
    )
    .await
    .unwrap();
    let participation: Vec<i64> = store::on_db!(&db, |p| sqlx::query_scalar(
        "SELECT delegate_id FROM poll_participation WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_all(p)
    .await)
    .unwrap();
    let ballots: i64 = store::on_db!(&db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM poll_ballot WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(
        !acked.is_empty(),
        "the writer acknowledged nothing before it was killed"
    );
    for i in &acked {
        assert!(
            participation.contains(&h.delegates[*i].1.0),
            "acknowledged ballot of delegate {i} was lost"
        );
    }
    let mut distinct = participation.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        participation.len(),
        "a delegate counted twice"
    );
    assert_eq!(
        ballots as usize,
        participation.len(),
        "turnout must equal the ballots stored"
    );
    assert!(
        participation.len() < DELEGATES,
        "the burst was not interrupted"
    );
    eprintln!(
        "kill -9 after {} acknowledged; {} ballots stored",
        acked.len(),
        participation.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_is_acknowledged_only_after_its_commit_so_kill_9_loses_none_acknowledged() {
    if let Ok(path) = std::env::var(CHILD) {
        let spec = std::fs::read_to_string(path).unwrap();
        child(&spec).await;
        return;
    }
    run(testkit::sqlite().await).await;
    if let Some(t) = testkit::postgres().await {
        run(t).await;
    }
}
