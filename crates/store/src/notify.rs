//! Who hears about what: turns an event (a proposal reply overdue, …) into inbox items and
//! outbox jobs, written in the transaction of the change that causes them, each with an
//! idempotency key so that the same reminder on the same day is never sent twice.
//!
//! The reminder scan ([`remind_due`]) is one loop over every area's due items
//! (`store::area::due_items`): each item's current step (before due, on the day, overdue,
//! escalated — `domain::notify::Steps`) becomes an inbox item for everyone its `Concerns`
//! name, an e-mail to those who chose e-mail for that kind (held through their quiet hours,
//! or kept for their daily digest), and a message in the unit's group robot — the unit
//! above hears of it at the escalation step. Every send's key is (item, step, channel,
//! recipient), so a re-run, or a run taken over after a crash, sends nothing twice. Items
//! that concern one person (a ballot to cast) go to that person only: never to a robot,
//! never escalated. The scan runs a fixed number of queries whatever the number of items.
//!
//! Also each account's preferences ([`prefs`], [`save_prefs`]) and the daily digest
//! ([`send_digests`]).
//!
//! Builds messages only from the arguments their kind declares
//! (`domain::outbox::MessageKind::args`): no personal data reaches a message body. Never
//! sends anything itself.

use crate::db::Tx;
use crate::inbox::{self, NewItem};
use crate::outbox::{self, NewJob};
use crate::{StoreError, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{AccountId, OrgUnitId};
use domain::outbox::{Backoff, Channel, Message, MessageKind};

/// What a robot or e-mail job carries.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub message: Message,
}

fn payload(message: &Message) -> String {
    serde_json::to_string(&Payload {
        message: message.clone(),
    })
    .unwrap_or_default()
}

/// A proposal's reply is overdue on `today`: an inbox item for every account of the handling
/// department, a message in the school's group robot (when it has one) and an e-mail to the
/// school chairs who asked for e-mail. Returns how many items and jobs were new.
pub async fn proposal_overdue(
    tx: &mut Tx,
    proposal: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let row: Option<(
        Option<i64>,
        String,
        i64,
        String,
        i64,
        Option<i64>,
        Option<NaiveDate>,
    )> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT p.number, p.title, p.school_union_id, s.name, p.round, p.handler_unit_id, p.reply_due
             FROM proposal p JOIN org_unit s ON s.id = p.school_union_id WHERE p.id = $1"
        )
        .bind(proposal)
        .fetch_optional(&mut *c)
        .await
    })?;
    let Some((number, title, school, school_name, round, Some(handler), Some(due))) = row else {
        return Ok(0);
    };
    let days = (today - due).num_days();
    let message = Message::new(
        MessageKind::ProposalOverdue,
        &[
            ("number", number.map(|n| n.to_string()).unwrap_or_default()),
            ("title", title),
            ("school", school_name),
            ("due", due.to_string()),
            ("days", days.to_string()),
        ],
        &format!("/proposals/{proposal}"),
    );
    let key = |what: &str| format!("proposal-overdue:{proposal}:{round}:{today}:{what}");
    // Department accounts; chairs with e-mail on; whether the school has a robot. One query.
    let people: Vec<(i64, String, bool)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT g.account_id, g.role, COALESCE(n.email_on AND n.email IS NOT NULL, FALSE)
         FROM role_grant g JOIN account a ON a.id = g.account_id AND NOT a.disabled
         LEFT JOIN notify_pref n ON n.account_id = g.account_id
         WHERE (g.role = 'handling_department' AND g.org_unit_id = $1)
            OR (g.role = 'school_chair' AND g.org_unit_id = $2)
         ORDER BY g.account_id"
    )
    .bind(handler)
    .bind(school)
    .fetch_all(&mut *c)
    .await)?;
    let robot: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT org_unit_id FROM group_robot WHERE org_unit_id = $1"
    )
    .bind(school)
    .fetch_optional(&mut *c)
    .await)?;
    let items: Vec<NewItem> = people
        .iter()
        .filter(|(_, role, _)| role == "handling_department")
        .map(|(a, _, _)| NewItem {
            account: AccountId(*a),
            org_unit: Some(OrgUnitId(handler)),
            message: message.clone(),
            idempotency_key: key(&format!("inbox:{a}")),
        })
        .collect();
    let b = Backoff::default();
    let mut jobs: Vec<NewJob> = people
        .iter()
        .filter(|(_, role, email)| role == "school_chair" && *email)
        .map(|(a, _, _)| NewJob {
            channel: Channel::Email,
            idempotency_key: key(&format!("email:{a}")),
            org_unit: Some(OrgUnitId(school)),
            account: Some(AccountId(*a)),
            payload: payload(&message),
            run_at: now,
            max_attempts: b.max_attempts,
        })
        .collect();
    if robot.is_some() {
        jobs.push(NewJob {
            channel: Channel::Robot,
            idempotency_key: key(&format!("robot:{school}")),
            org_unit: Some(OrgUnitId(school)),
            account: None,
            payload: payload(&message),
            run_at: now,
            max_attempts: b.max_attempts,
        });
    }
    let n = inbox::add(tx, &items, now).await? + outbox::enqueue(tx, &jobs, now).await?;
    Ok(n)
}

/// The key under which the reminder scan knows a proposal's reply of a round (the item
/// key of `store::proposals::due`).
pub fn proposal_reply_item(proposal: i64, round: i64) -> String {
    format!("congress:proposal-reply:{proposal}:{round}")
}

/// `day` in China Standard Time as an interval of instants `[start, end)`.
fn china_day(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(domain::notify::CST)
        .single()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        );
    (start, start + chrono::Duration::days(1))
}

/// Of these overdue replies `(proposal, round, school)`, the proposals whose reminder the
/// daily scan already sent on `day` (its overdue or escalated step, to the handling
/// department's inbox or the school's group robot). A reminder by hand
/// ([`crate::proposals::remind`], [`crate::proposals::remind_overdue`]) sends nothing for
/// those that day, and the scan skips a reply reminded by hand that day (see
/// [`deliver_due`]): one reminder per reply per day, whichever comes first. Two queries
/// per 200 replies, on the unique keys.
pub async fn reminded_by_scan(
    tx: &mut Tx,
    replies: &[(i64, i64, i64)],
    day: NaiveDate,
) -> Result<HashSet<i64>, StoreError> {
    let mut told = HashSet::new();
    let (start, end) = china_day(day);
    for chunk in replies.chunks(200) {
        let mut sql = Sql::new(
            "SELECT p.id, g.account_id FROM proposal p JOIN role_grant g ON g.org_unit_id = p.handler_unit_id AND g.role = 'handling_department'
             WHERE p.id IN (",
        );
        sql.bind_list(chunk.iter().map(|r| Arg::I64(r.0)))
            .push(") ORDER BY p.id, g.account_id");
        let accounts: Vec<(i64, i64)> = sql.fetch_all_tx(tx).await?;
        let mut keys: HashMap<String, i64> = HashMap::new();
        for (id, round, school) in chunk {
            let item = proposal_reply_item(*id, *round);
            for step in [
                Step::Overdue,
                Step::Escalated(1),
                Step::Escalated(2),
                Step::Escalated(3),
            ] {
                let step = step.key();
                keys.insert(format!("due:{item}:{step}:robot:{school}"), *id);
                for (_, a) in accounts.iter().filter(|(p, _)| p == id) {
                    keys.insert(format!("due:{item}:{step}:inbox:{a}"), *id);
                }
            }
        }
        let mut sql = Sql::new("SELECT idempotency_key FROM inbox_item WHERE created_at >= ");
        sql.bind(Arg::Ts(start))
            .push(" AND created_at < ")
            .bind(Arg::Ts(end))
            .push(" AND idempotency_key IN (")
            .bind_list(keys.keys().map(|k| Arg::Text(k.clone())))
            .push(") UNION SELECT idempotency_key FROM job WHERE created_at >= ")
            .bind(Arg::Ts(start))
            .push(" AND created_at < ")
            .bind(Arg::Ts(end))
            .push(" AND idempotency_key IN (")
            .bind_list(keys.keys().map(|k| Arg::Text(k.clone())))
            .push(") ORDER BY 1");
        let sent: Vec<(String,)> = sql.fetch_all_tx(tx).await?;
        told.extend(sent.iter().filter_map(|(k,)| keys.get(k)));
    }
    Ok(told)
}

/// Sets the account's e-mail address and whether reminders go there too (the account's own
/// setting: its session is its whole scope). The address is checked by the caller
/// (`domain::outbox::parse_email`).
pub async fn set_email(
    db: &crate::Db,
    account: AccountId,
    email: Option<&str>,
    on: bool,
) -> Result<(), StoreError> {
    crate::on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO notify_pref (account_id, email, email_on, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, email_on = excluded.email_on, updated_at = excluded.updated_at"
    )
    .bind(account.0)
    .bind(email)
    .bind(on && email.is_some())
    .bind(crate::now())
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The address an e-mail job goes to (none when the account has since switched e-mail off).
pub async fn email_of(db: &crate::Db, account: AccountId) -> Result<Option<String>, StoreError> {
    let r: Option<Option<String>> = crate::on_db!(db, |p| sqlx::query_scalar(
        "SELECT email FROM notify_pref WHERE account_id = $1 AND email_on"
    )
    .bind(account.0)
    .fetch_optional(p)
    .await)?;
    Ok(r.flatten())
}

/// A group robot's webhook URL (it carries the robot's key).
pub const ROBOT_URL: crate::area::EncryptedColumn = crate::area::EncryptedColumn {
    table: "group_robot",
    key: "org_unit_id",
    column: "url_enc",
    field: crate::crypto::Field::RobotSecret,
    indexes: &[],
};

/// A group robot's signing secret.
pub const ROBOT_SECRET: crate::area::EncryptedColumn = crate::area::EncryptedColumn {
    table: "group_robot",
    key: "org_unit_id",
    column: "secret_enc",
    field: crate::crypto::Field::RobotSecret,
    indexes: &[],
};

// ---------------------------------------------------------------- the reminder scan

use crate::Store;
use crate::area::Reach;
use crate::db::{Arg, Sql};
use crate::rule_sets::Version;
use domain::area::{Concerns, DueItem};
use domain::auth::{Role, SystemCap};
use domain::notify::{EscalateTo, NotifyRules, QuietHours, ROBOT_QUIET, ReminderKind, Step, Steps};
use std::collections::{HashMap, HashSet};

/// What an e-mail job carries: the message, and for a daily digest the messages it bundles.
/// (A plain [`Payload`] reads as a bundle with no digest.)
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Bundle {
    pub message: Message,
    #[serde(default)]
    pub digest: Vec<Message>,
}

/// What a scan wrote (new rows only: a re-run writes nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Due items found (whether or not a step was due).
    pub items: usize,
    pub inbox: u64,
    pub jobs: u64,
    pub digest: u64,
}

/// The area name of the reminders' rule set in `area_rule_set`.
pub const RULES_AREA: &str = "notify";
/// The label reminders carry when no union has stored a version: the built-in
/// `domain::notify::default_rules`, all local.
pub const BUILTIN_RULES: &str = "notify-local-1";

/// The roles that answer for a unit when an item is escalated to it.
const MANAGERS: [Role; 3] = [Role::SchoolChair, Role::AreaLead, Role::UnionStaff];

/// The daily reminder scan over every area's due items, for the whole installation.
pub async fn remind_due(
    st: &Store,
    sys: &SystemCap,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ScanOutcome, StoreError> {
    let items = crate::area::due_items(st, &Reach::system(sys), today).await?;
    deliver_due(st, &items, today, now).await
}

#[derive(Default)]
struct Pref {
    email: bool,
    digest: bool,
    quiet: Option<QuietHours>,
    off: HashSet<String>,
}

fn step_kind(step: Step) -> MessageKind {
    match step {
        Step::Before(_) => MessageKind::DueBefore,
        Step::Today => MessageKind::DueToday,
        Step::Overdue => MessageKind::DueOverdue,
        Step::Escalated(_) => MessageKind::DueEscalated,
    }
}

fn personal(item: &DueItem) -> bool {
    item.concerns
        .iter()
        .any(|c| !matches!(c, Concerns::Role { .. }))
}

/// Turns due items into the sends of their current step (see the module note), each by
/// the reminders rule-set version in force at the item's school. Nine reads and the
/// chunked writes of one transaction, whatever the number of items. A proposal
/// reply reminded by hand the same day is left for the next day's scan.
pub async fn deliver_due(
    st: &Store,
    items: &[DueItem],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ScanOutcome, StoreError> {
    let mut out = ScanOutcome {
        items: items.len(),
        ..ScanOutcome::default()
    };
    let db = &st.db;
    let units: Vec<(i64, Option<i64>, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, parent_id, name FROM org_unit ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    let units: HashMap<i64, (Option<i64>, String)> =
        units.into_iter().map(|(i, p, n)| (i, (p, n))).collect();
    // The rule-set version in force at each item's unit: the newest version of the
    // nearest unit above it (itself included) that has one; else the built-in numbers.
    let versions: HashMap<i64, Version<NotifyRules>> =
        crate::rule_sets::newest_per_unit(db, RULES_AREA).await?;
    let builtin = domain::notify::default_rules();
    let labels: HashMap<i64, String> = versions
        .iter()
        .map(|(u, v)| {
            (
                *u,
                crate::rule_sets::label(RULES_AREA, Some(v), BUILTIN_RULES),
            )
        })
        .collect();
    let rules_of = |unit: i64| -> (&NotifyRules, &str) {
        let mut u = Some(unit);
        while let Some(id) = u {
            if let (Some(v), Some(l)) = (versions.get(&id), labels.get(&id)) {
                return (&v.rules, l.as_str());
            }
            u = units.get(&id).and_then(|x| x.0);
        }
        (&builtin, BUILTIN_RULES)
    };
    let due: Vec<(&DueItem, Step, &Steps, &str)> = items
        .iter()
        .filter_map(|i| {
            let (rules, label) = rules_of(i.unit.0);
            let steps = rules.steps_of(ReminderKind::of_due(&i.kind));
            let mut step = steps.current(i.days_left(today))?;
            if matches!(step, Step::Escalated(_)) && personal(i) {
                step = Step::Overdue;
            }
            Some((i, step, steps, label))
        })
        .collect();
    if due.is_empty() {
        return Ok(out);
    }
    // A proposal reply reminded by hand today has had today's reminder: its step waits for
    // tomorrow's scan (see `reminded_by_scan` for the other order).
    let by_hand: Vec<(i64, i64)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT proposal_id, round FROM proposal_reminder WHERE reminded_on = $1 ORDER BY proposal_id"
    )
    .bind(today)
    .fetch_all(p)
    .await
    })?;
    let by_hand: HashSet<String> = by_hand
        .into_iter()
        .map(|(p, r)| proposal_reply_item(p, r))
        .collect();
    let due: Vec<(&DueItem, Step, &Steps, &str)> = due
        .into_iter()
        .filter(|(i, ..)| !by_hand.contains(&i.key))
        .collect();
    // Grants of the roles named, of the roles that answer for a unit above, and of the
    // proposals committee (a level of the proposals' chain).
    let mut roles: Vec<&'static str> = MANAGERS.iter().map(|r| r.code()).collect();
    roles.push(Role::ProposalsCommittee.code());
    for (i, ..) in &due {
        for c in &i.concerns {
            if let Concerns::Role { role, .. } = c
                && !roles.contains(&role.code())
            {
                roles.push(role.code());
            }
        }
    }
    let mut sql = Sql::new(
        "SELECT g.account_id, g.role, g.org_unit_id FROM role_grant g JOIN account a ON a.id = g.account_id
         WHERE NOT a.disabled AND g.role IN (",
    );
    sql.bind_list(roles.iter().map(|r| Arg::Text((*r).to_string())))
        .push(") ORDER BY g.account_id");
    let grants: Vec<(i64, String, i64)> = sql.fetch_all(db).await?;
    let mut holders: HashMap<(String, i64), Vec<i64>> = HashMap::new();
    for (a, role, unit) in grants {
        holders.entry((role, unit)).or_default().push(a);
    }
    let by_member: HashMap<i64, Vec<i64>> = if due.iter().any(|(i, ..)| personal(i)) {
        let rows: Vec<(i64, i64)> = on_db!(db, |p| {
            sqlx::query_as(
            "SELECT id, member_id FROM account WHERE member_id IS NOT NULL AND NOT disabled ORDER BY id"
        )
        .fetch_all(p)
        .await
        })?;
        let mut m: HashMap<i64, Vec<i64>> = HashMap::new();
        for (a, member) in rows {
            m.entry(member).or_default().push(a);
        }
        m
    } else {
        HashMap::new()
    };
    let prefs_rows: Vec<(
        i64,
        Option<String>,
        bool,
        bool,
        Option<String>,
        Option<String>,
    )> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT account_id, email, email_on, digest, quiet_start, quiet_end FROM notify_pref ORDER BY account_id"
        )
        .fetch_all(p)
        .await
    })?;
    let off_rows: Vec<(i64, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT account_id, kind FROM notify_kind_pref WHERE NOT email ORDER BY account_id"
    )
    .fetch_all(p)
    .await)?;
    let mut prefs: HashMap<i64, Pref> = prefs_rows
        .into_iter()
        .map(|(a, email, on, digest, qs, qe)| {
            let quiet = QuietHours::parse(qs.as_deref().unwrap_or(""), qe.as_deref().unwrap_or(""))
                .ok()
                .flatten();
            (
                a,
                Pref {
                    email: on && email.is_some(),
                    digest,
                    quiet,
                    off: HashSet::new(),
                },
            )
        })
        .collect();
    for (a, kind) in off_rows {
        if let Some(p) = prefs.get_mut(&a) {
            p.off.insert(kind);
        }
    }
    let robots: HashSet<i64> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT org_unit_id FROM group_robot ORDER BY org_unit_id"
    )
    .fetch_all(p)
    .await)?
    .into_iter()
    .collect();

    // The nearest unit above `unit` where someone answers for it.
    let above = |unit: i64| -> Option<(i64, Vec<i64>)> {
        let mut u = units.get(&unit)?.0;
        while let Some(id) = u {
            let mut who: Vec<i64> = MANAGERS
                .iter()
                .filter_map(|r| holders.get(&(r.code().to_string(), id)))
                .flatten()
                .copied()
                .collect();
            if !who.is_empty() {
                who.sort_unstable();
                who.dedup();
                return Some((id, who));
            }
            u = units.get(&id)?.0;
        }
        None
    };

    let b = Backoff::default();
    let mut inbox_items = Vec::new();
    let mut jobs = Vec::new();
    let mut digest = Vec::new();
    // Written in slices of the items, in one transaction: what is held in memory at once
    // does not grow with the number of items (a province's million members).
    let mut tx = db.begin().await?;
    for (n, (item, step, steps, rules_label)) in due.into_iter().enumerate() {
        if n > 0 && n % FLUSH_EVERY == 0 {
            flush(
                &mut tx,
                &mut inbox_items,
                &mut jobs,
                &mut digest,
                now,
                &mut out,
            )
            .await?;
        }
        let unit_name = units
            .get(&item.unit.0)
            .map(|u| u.1.clone())
            .unwrap_or_default();
        let message = Message::new(
            step_kind(step),
            &[
                ("what", item.kind.clone()),
                ("title", item.title.clone()),
                ("unit", unit_name),
                ("due", item.due.to_string()),
                ("days", item.days_left(today).abs().to_string()),
                ("rules", rules_label.to_string()),
            ],
            &item.href,
        );
        let key = |what: &str| format!("due:{}:{}:{what}", item.key, step.key());
        let chain = steps.audiences(step);
        let mut people: Vec<i64> = Vec::new();
        let mut robot_units: Vec<i64> = Vec::new();
        for c in &item.concerns {
            match c {
                Concerns::Role { role, unit } => {
                    if let Some(a) = holders.get(&(role.code().to_string(), unit.0)) {
                        people.extend(a);
                    }
                    if chain.contains(&EscalateTo::UnitAbove)
                        && let Some((up, who)) = above(unit.0)
                    {
                        people.extend(who);
                        robot_units.push(up);
                    }
                }
                Concerns::Member(m) => {
                    if let Some(a) = by_member.get(&m.0) {
                        people.extend(a);
                    }
                }
                Concerns::Account(a) => people.push(a.0),
            }
        }
        // The chain's levels inside the item's own school.
        for to in &chain {
            let role = match to {
                EscalateTo::ProposalsCommittee => Role::ProposalsCommittee,
                EscalateTo::SchoolChair => Role::SchoolChair,
                EscalateTo::UnitAbove => continue,
            };
            if let Some(a) = holders.get(&(role.code().to_string(), item.unit.0)) {
                people.extend(a);
            }
        }
        people.sort_unstable();
        people.dedup();
        if !personal(item) {
            robot_units.push(item.unit.0);
        }
        robot_units.sort_unstable();
        robot_units.dedup();
        for a in &people {
            inbox_items.push(NewItem {
                account: AccountId(*a),
                org_unit: Some(item.unit),
                message: message.clone(),
                idempotency_key: key(&format!("inbox:{a}")),
            });
            let Some(p) = prefs.get(a) else { continue };
            let kind_code = ReminderKind::of_due(&item.kind).map(|k| k.as_str());
            if !p.email || kind_code.is_some_and(|k| p.off.contains(k)) {
                continue;
            }
            if p.digest {
                digest.push((*a, message.clone(), key(&format!("email:{a}"))));
            } else {
                jobs.push(NewJob {
                    channel: Channel::Email,
                    idempotency_key: key(&format!("email:{a}")),
                    org_unit: Some(item.unit),
                    account: Some(AccountId(*a)),
                    payload: payload(&message),
                    run_at: p.quiet.map_or(now, |q| q.release(now)),
                    max_attempts: b.max_attempts,
                });
            }
        }
        for u in robot_units.into_iter().filter(|u| robots.contains(u)) {
            jobs.push(NewJob {
                channel: Channel::Robot,
                idempotency_key: key(&format!("robot:{u}")),
                org_unit: Some(OrgUnitId(u)),
                account: None,
                payload: payload(&message),
                run_at: ROBOT_QUIET.release(now),
                max_attempts: b.max_attempts,
            });
        }
    }
    flush(
        &mut tx,
        &mut inbox_items,
        &mut jobs,
        &mut digest,
        now,
        &mut out,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Due items whose sends are built before they are written (see [`deliver_due`]).
const FLUSH_EVERY: usize = 20_000;

/// Writes what a slice of the scan built, and empties the buffers for the next slice.
async fn flush(
    tx: &mut Tx,
    inbox_items: &mut Vec<NewItem>,
    jobs: &mut Vec<NewJob>,
    digest: &mut Vec<(i64, Message, String)>,
    now: DateTime<Utc>,
    out: &mut ScanOutcome,
) -> Result<(), StoreError> {
    out.inbox += inbox::add(tx, inbox_items, now).await?;
    out.jobs += outbox::enqueue(tx, jobs, now).await?;
    out.digest += add_digest(tx, digest, now).await?;
    inbox_items.clear();
    jobs.clear();
    digest.clear();
    Ok(())
}

async fn add_digest(
    tx: &mut Tx,
    entries: &[(i64, Message, String)],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut n = 0;
    for chunk in entries.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO digest_entry (account_id, message, idempotency_key, created_at) VALUES ",
        );
        for (i, (a, m, k)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind_list([
                    Arg::I64(*a),
                    Arg::Text(serde_json::to_string(m).unwrap_or_default()),
                    Arg::Text(k.clone()),
                    Arg::Ts(now),
                ])
                .push(")");
        }
        sql.push(" ON CONFLICT (idempotency_key) DO NOTHING");
        n += sql.execute_tx(tx).await?;
    }
    Ok(n)
}

/// The daily digest: every reminder held for a digest becomes part of one e-mail job per
/// account (held through the account's quiet hours), and is marked bundled in the same
/// transaction, so a re-run sends nothing twice. Returns how many e-mails were queued.
pub async fn send_digests(st: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = st.db.begin().await?;
    // Taking the entries is the update itself: whatever it returns is bundled exactly once.
    let rows: Vec<(i64, i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "UPDATE digest_entry SET digested_at = $1 WHERE digested_at IS NULL RETURNING id, account_id, message"
    )
    .bind(now)
    .fetch_all(&mut *c)
    .await
    })?;
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let quiet: Vec<(i64, Option<String>, Option<String>)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT account_id, quiet_start, quiet_end FROM notify_pref ORDER BY account_id"
    )
    .fetch_all(&mut *c)
    .await)?;
    let quiet: HashMap<i64, QuietHours> = quiet
        .into_iter()
        .filter_map(|(a, s, e)| {
            QuietHours::parse(s.as_deref().unwrap_or(""), e.as_deref().unwrap_or(""))
                .ok()
                .flatten()
                .map(|q| (a, q))
        })
        .collect();
    let mut by: std::collections::BTreeMap<i64, Vec<(i64, Message)>> = Default::default();
    for (id, a, m) in rows {
        if let Ok(m) = serde_json::from_str::<Message>(&m) {
            by.entry(a).or_default().push((id, m));
        }
    }
    let b = Backoff::default();
    let jobs: Vec<NewJob> = by
        .into_iter()
        .map(|(a, mut ms)| {
            ms.sort_by_key(|(id, _)| *id);
            let last = ms.last().map_or(0, |(id, _)| *id);
            let bundle = Bundle {
                message: Message::new(
                    MessageKind::Digest,
                    &[("count", ms.len().to_string())],
                    "/inbox",
                ),
                digest: ms.into_iter().map(|(_, m)| m).collect(),
            };
            NewJob {
                channel: Channel::Email,
                idempotency_key: format!("digest:{a}:{last}"),
                org_unit: None,
                account: Some(AccountId(a)),
                payload: serde_json::to_string(&bundle).unwrap_or_default(),
                run_at: quiet.get(&a).map_or(now, |q| q.release(now)),
                max_attempts: b.max_attempts,
            }
        })
        .collect();
    let n = outbox::enqueue(&mut tx, &jobs, now).await?;
    tx.commit().await?;
    Ok(n)
}

// ---------------------------------------------------------------- preferences

/// An account's choices: its e-mail address and whether reminders go there, the daily
/// digest instead of single e-mails, quiet hours, and the kinds it wants in the inbox only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefs {
    pub email: Option<String>,
    pub email_on: bool,
    pub digest: bool,
    pub quiet: Option<QuietHours>,
    pub inbox_only: Vec<ReminderKind>,
}

/// The account's own preferences (its session is its whole scope). Two queries.
pub async fn prefs(db: &crate::Db, account: AccountId) -> Result<Prefs, StoreError> {
    let row: Option<(Option<String>, bool, bool, Option<String>, Option<String>)> = on_db!(
        db,
        |p| {
            sqlx::query_as(
            "SELECT email, email_on, digest, quiet_start, quiet_end FROM notify_pref WHERE account_id = $1"
        )
        .bind(account.0)
        .fetch_optional(p)
        .await
        }
    )?;
    let off: Vec<String> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT kind FROM notify_kind_pref WHERE account_id = $1 AND NOT email ORDER BY kind"
    )
    .bind(account.0)
    .fetch_all(p)
    .await)?;
    let inbox_only = off
        .iter()
        .filter_map(|k| <ReminderKind as domain::org::Coded>::from_code(k))
        .collect();
    Ok(match row {
        None => Prefs {
            inbox_only,
            ..Prefs::default()
        },
        Some((email, email_on, digest, qs, qe)) => Prefs {
            email,
            email_on,
            digest,
            quiet: QuietHours::parse(qs.as_deref().unwrap_or(""), qe.as_deref().unwrap_or(""))
                .ok()
                .flatten(),
            inbox_only,
        },
    })
}

fn hhmm(t: chrono::NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Saves the account's own preferences (checked by the caller: the address with
/// `domain::outbox::parse_email`, the times with `QuietHours::parse`), audited: the
/// address itself is not written to the audit record.
pub async fn save_prefs(
    st: &Store,
    who: &crate::audit::Who,
    account: AccountId,
    p: &Prefs,
) -> Result<(), StoreError> {
    let before = prefs(&st.db, account).await?;
    let mut tx = st.db.begin().await?;
    let now = crate::now();
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO notify_pref (account_id, email, email_on, digest, quiet_start, quiet_end, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, email_on = excluded.email_on, digest = excluded.digest,
             quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, updated_at = excluded.updated_at"
    )
    .bind(account.0)
    .bind(p.email.as_deref())
    .bind(p.email_on && p.email.is_some())
    .bind(p.digest)
    .bind(p.quiet.map(|q| hhmm(q.start)))
    .bind(p.quiet.map(|q| hhmm(q.end)))
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM notify_kind_pref WHERE account_id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if !p.inbox_only.is_empty() {
        let mut sql = Sql::new("INSERT INTO notify_kind_pref (account_id, kind, email) VALUES ");
        for (i, k) in p.inbox_only.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind_list([
                    Arg::I64(account.0),
                    Arg::Text(k.as_str().into()),
                    Arg::Bool(false),
                ])
                .push(")");
        }
        sql.push(" ON CONFLICT (account_id, kind) DO NOTHING");
        sql.execute_tx(&mut tx).await?;
    }
    let mut ch = domain::audit::Changes::new();
    let masked = |e: &Option<String>| e.as_ref().map(|_| "(set)");
    let quiet = |q: &Option<QuietHours>| q.map(|q| format!("{}-{}", hhmm(q.start), hhmm(q.end)));
    let kinds = |v: &[ReminderKind]| v.iter().map(|k| k.as_str()).collect::<Vec<_>>();
    ch.field(
        "email",
        masked(&before.email).as_ref(),
        masked(&p.email).as_ref(),
    )
    .field("email_on", Some(&before.email_on), Some(&p.email_on))
    .field("digest", Some(&before.digest), Some(&p.digest))
    .field(
        "quiet",
        quiet(&before.quiet).as_ref(),
        quiet(&p.quiet).as_ref(),
    )
    .field(
        "inbox_only",
        Some(&kinds(&before.inbox_only)),
        Some(&kinds(&p.inbox_only)),
    );
    crate::audit::append(
        &mut tx,
        &st.cipher,
        who,
        crate::audit::Event {
            action: "notify_pref.set",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- demo

/// The notify area's demo: the first school with a congress gets a group robot at an
/// address where nothing listens (so its messages are parked after their tries and shown
/// on `/jobs` with the reason), then the reminder scan of the demo's day runs over every
/// area's due items: the overdue proposal replies reach the handling department's inbox,
/// the school's robot (parked) and the chair, terms and congresses due reach the chairs.
fn notify_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        let st = run.st;
        let school: Option<i64> = on_db!(&st.db, |p| sqlx::query_scalar(
            "SELECT school_union_id FROM congress_term ORDER BY school_union_id LIMIT 1"
        )
        .fetch_optional(p)
        .await)?;
        let today = run.opts.today;
        // Mid-morning, China time: outside every quiet hour, so the demo shows sends.
        let now = today
            .and_hms_opt(10, 0, 0)
            .and_then(|t| t.and_local_timezone(domain::notify::CST).single())
            .map_or_else(crate::now, |t| t.with_timezone(&Utc));
        if let Some(school) = school {
            let cap = domain::auth::system_cap::<domain::auth::perm::AccountManage>(
                run.sys,
                AccountId(0),
            );
            let kind = domain::outbox::RobotKind::Wecom;
            let url = domain::outbox::RobotUrl::parse(
                kind,
                "http://127.0.0.1:9/cgi-bin/webhook/send?key=demo",
            )
            .map_err(|e| StoreError::Other(e.into()))?;
            crate::robot::set(
                st,
                &cap,
                &crate::audit::Who::system("demo"),
                OrgUnitId(school),
                kind,
                &url,
                None,
            )
            .await?;
        }
        remind_due(st, run.sys, today, now).await?;
        // What a robot that never answers leaves behind after its last try.
        on_db!(&st.db, |p| {
            sqlx::query(
            "UPDATE job SET status = 'parked', attempts = max_attempts, last_error = 'could not connect', finished_at = $1
             WHERE channel = 'robot' AND status = 'ready'"
        )
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    })
}

/// Reminders: the outbox of jobs, the inbox, group robots and e-mail.
pub static AREA: crate::area::Area = crate::area::Area {
    coded: &[
        crate::area::CodedColumn {
            column: "group_robot.kind",
            codes: || {
                use domain::outbox::RobotKind as K;
                [K::Wecom, K::Dingtalk].map(K::as_str).to_vec()
            },
        },
        crate::area::CodedColumn::of::<domain::notify::ReminderKind>("notify_kind_pref.kind"),
        crate::area::CodedColumn {
            column: "job.channel",
            codes: || {
                use domain::outbox::Channel as C;
                [C::Robot, C::Email, C::Webhook, C::Sms]
                    .map(C::as_str)
                    .to_vec()
            },
        },
        crate::area::CodedColumn {
            column: "job.status",
            codes: || {
                use domain::outbox::JobStatus as S;
                [S::Ready, S::Running, S::Done, S::Parked]
                    .map(S::as_str)
                    .to_vec()
            },
        },
    ],
    encrypted: &[ROBOT_URL, ROBOT_SECRET],
    demo: Some(notify_demo),
    due_items: None,
    ..crate::area::Area::new("notify")
};
