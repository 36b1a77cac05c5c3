//! Who hears about what: turns an event (a proposal reply overdue, …) into inbox items and
//! outbox jobs, written in the transaction of the change that causes them, each with an
//! idempotency key so that the same reminder on the same day is never sent twice.
//!
//! Builds messages only from the arguments their kind declares
//! (`domain::outbox::MessageKind::args`): no personal data reaches a message body. Never
//! sends anything itself.

use crate::db::Tx;
use crate::inbox::{self, NewItem};
use crate::outbox::{self, NewJob};
use crate::{StoreError, on_tx};
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
        crate::area::CodedColumn {
            column: "job.channel",
            codes: || {
                use domain::outbox::Channel as C;
                [C::Robot, C::Email, C::Webhook].map(C::as_str).to_vec()
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
    ..crate::area::Area::new("notify")
};
