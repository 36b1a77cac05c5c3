//! Live turnout of polls over server-sent events.
//!
//! However many phones and screens watch a poll, one task per poll and process counts it:
//! it wakes when this process stored ballots (the ballot box says so after each commit),
//! when another process did (PostgreSQL LISTEN/NOTIFY), or every two seconds, waits until
//! half a second has passed since its last count (so at most two updates a second reach
//! anyone), counts with one query and publishes the figures on a watch channel that every
//! stream reads. Only counts are sent: voted, eligible, present and the poll's state —
//! never a choice, and no result before publication.

use crate::state::AppState;
use axum::response::sse::Event;
use domain::voting::PollId;
use futures::{Stream, StreamExt};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::WatchStream;

/// At most two updates a second.
const MIN_INTERVAL: Duration = Duration::from_millis(500);
/// Changes no one announced (a check-in at the door, a process without NOTIFY).
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Live {
    wake: broadcast::Sender<i64>,
    polls: Mutex<HashMap<i64, watch::Sender<Arc<str>>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            wake: broadcast::channel(8192).0,
            polls: Mutex::new(HashMap::new()),
        }
    }
}

impl Live {
    /// Tells the counters of `poll` to count again (a step of the poll, a check-in).
    pub fn wake(&self, poll: PollId) {
        let _ = self.wake.send(poll.0);
    }

    /// Forwards the ballot box's commits (and, on PostgreSQL, every process's) to the
    /// counters. Called once when the state is made.
    pub fn connect(state: &AppState, ballot_box: &store::voting::ballot_box::BallotBox) {
        let mut rx = ballot_box.subscribe();
        let wake = state.live.wake.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(p) => {
                        let _ = wake.send(p);
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        store::voting::ballot_box::listen(&state.store.db, state.live.wake.clone());
    }

    /// The stream of `poll`'s turnout for one client: the current figures now, then every
    /// change.
    /// The counting task, when this client starts it, keeps the client's reader: its
    /// counts are read as that reader.
    pub(crate) fn stream(
        state: &AppState,
        reader: super::PollReader,
        poll: PollId,
    ) -> impl Stream<Item = Result<Event, Infallible>> + use<> {
        let rx = {
            let mut polls = state.live.polls.lock().unwrap_or_else(|e| e.into_inner());
            match polls.get(&poll.0) {
                Some(tx) if !tx.is_closed() => tx.subscribe(),
                _ => {
                    let (tx, rx) = watch::channel(Arc::<str>::from(""));
                    polls.insert(poll.0, tx.clone());
                    tokio::spawn(count(state.clone(), reader, poll, tx));
                    rx
                }
            }
        };
        WatchStream::new(rx).filter_map(|s| async move {
            (!s.is_empty()).then(|| Ok(Event::default().event("board").data(&*s)))
        })
    }
}

/// The counting task of one poll; ends when nobody watches.
async fn count(
    state: AppState,
    reader: super::PollReader,
    poll: PollId,
    tx: watch::Sender<Arc<str>>,
) {
    let mut wake = state.live.wake.subscribe();
    let mut last: Option<Instant> = None;
    loop {
        if let Some(t) = last {
            let woken = async {
                loop {
                    match wake.recv().await {
                        Ok(p) if p == poll.0 => return,
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(_)) => return,
                        Err(broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            };
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = tx.closed() => break,
            }
            let since = t.elapsed();
            if since < MIN_INTERVAL {
                tokio::time::sleep(MIN_INTERVAL - since).await;
            }
            // Whatever else arrived meanwhile is in the count below.
            while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = wake.try_recv() {}
        }
        last = Some(Instant::now());
        if tx.receiver_count() == 0 {
            break;
        }
        let figures = match figures(&state, &reader, poll).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, poll = poll.0, "turnout count failed");
                continue;
            }
        };
        tx.send_if_modified(|cur| {
            if **cur == *figures {
                false
            } else {
                *cur = Arc::from(figures.as_str());
                true
            }
        });
    }
    let mut polls = state.live.polls.lock().unwrap_or_else(|e| e.into_inner());
    if polls.get(&poll.0).is_some_and(|t| t.same_channel(&tx)) {
        polls.remove(&poll.0);
    }
}

async fn figures(
    state: &AppState,
    reader: &super::PollReader,
    poll: PollId,
) -> Result<String, store::StoreError> {
    let t = store::voting::turnout(&state.store.db, reader.viewer(), poll).await?;
    Ok(serde_json::json!({
        "voted": t.voted,
        "eligible": t.eligible,
        "present": t.present,
        "status": t.status.as_str(),
    })
    .to_string())
}
