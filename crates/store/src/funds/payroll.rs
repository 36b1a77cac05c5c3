//! The payroll office's sheet (工资表) as dues bases: read with the roster import's file
//! reader (.xlsx streamed, .xls, CSV in UTF-8/GB18030/UTF-16; blank lines skipped), the
//! header found among the first ten rows, every row parsed with all its problems at their
//! column, matched to a member of the target unit by ID number (blind index) or by name
//! and school; good rows are never rejected because of bad ones. The preview stages the
//! matched rows encrypted (bound to the batch) and writes no base; the commit writes them,
//! each audited.
//!
//! Never here: the typed salary in a stored report, or a match with a member outside the
//! uploader's scope (an unknown and an out-of-scope ID number get the same message).

use super::dues;
use super::ledger::invalid;
use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::org::roster_file;
use crate::{Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::auth::{Cap, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::{MemberId, OrgUnitId};
use std::collections::HashMap;
use std::ops::ControlFlow;

/// A row's problem: the spreadsheet row, the header as written in the file, the message.
#[derive(Clone, Debug, PartialEq)]
pub struct RowProblem {
    pub row: u32,
    pub column: Option<String>,
    pub error: FieldError,
}

/// A row matched to a member (the base is not shown in the preview; the total is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    pub row: u32,
    pub member: MemberId,
    pub name: String,
    pub school: String,
    pub id_masked: String,
}

/// What a staged sheet holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub batch: PayrollBatchId,
    pub file_name: String,
    pub rows: u64,
    pub matched: Vec<Matched>,
    pub problems: Vec<RowProblem>,
    /// The sum of the matched rows' bases (a check figure against the payroll total).
    pub base_total_fen: i64,
}

/// At most this many data rows (a district's payroll is a few thousand).
pub const MAX_ROWS: usize = 200_000;

/// Reads, checks and stages a payroll sheet for `target` (a school, or a unit above
/// schools when the sheet has a school column or names are unique). Writes no base.
pub async fn preview(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    target: OrgUnitId,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Preview, StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), target).await? {
        return Err(StoreError::NotFound);
    }
    let raw = tokio::task::spawn_blocking(move || {
        let mut rows = Vec::new();
        let r = roster_file::read_rows(&bytes, |row| {
            rows.push(row);
            if rows.len() > MAX_ROWS {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        r.map(|()| rows)
    })
    .await
    .map_err(|e| StoreError::Other(e.to_string()))?
    .map_err(|_| invalid(FieldError::new("file", t::PAYROLL_UNREADABLE)))?;
    // The header: the first of the first ten rows naming the base and who.
    let header = raw.iter().take(10).enumerate().find_map(|(i, (_, cells))| {
        let cols: Vec<Option<PayrollColumn>> = cells
            .iter()
            .map(|c| PayrollColumn::from_header(&c.text))
            .collect();
        let has = |k: PayrollColumn| cols.contains(&Some(k));
        (has(PayrollColumn::Base) && (has(PayrollColumn::IdNumber) || has(PayrollColumn::Name)))
            .then_some((i, cols))
    });
    let Some((hi, cols)) = header else {
        return Err(invalid(FieldError::new("file", t::PAYROLL_NO_HEADER)));
    };
    let headers: Vec<String> = raw[hi].1.iter().map(|c| c.text.clone()).collect();
    let col_header = |field: &str| {
        cols.iter()
            .position(|c| c.map(|c| c.field()) == Some(field))
            .and_then(|i| headers.get(i).cloned())
    };
    // Members under the target in scope: one query; matched in memory.
    let mut q = Sql::new(
        "SELECT m.id, m.name, m.school_union_id, u.name, m.id_number_idx FROM member m JOIN org_unit u ON u.id = m.school_union_id
         JOIN org_closure c ON c.descendant_id = m.school_union_id WHERE c.ancestor_id = ",
    );
    q.bind(Arg::I64(target.0));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    q.push(" ORDER BY m.id");
    let members: Vec<(i64, String, i64, String, Vec<u8>)> = q.fetch_all(&st.db).await?;
    let mut by_idx: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut schools: HashMap<String, i64> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        by_idx.insert(m.4.clone(), i);
        by_name
            .entry(domain::roster::normalize_name(&m.1))
            .or_default()
            .push(i);
        schools.insert(domain::roster::compact(&m.3), m.2);
    }
    let mut matched = Vec::new();
    let mut problems = Vec::new();
    let mut staged: Vec<(i64, i64, Option<NaiveDate>)> = Vec::new();
    let mut seen: HashMap<i64, u32> = HashMap::new();
    let mut rows = 0u64;
    let mut total = 0i64;
    for (line, cells) in raw.iter().skip(hi + 1) {
        let typed: Vec<(PayrollColumn, &str)> = cols
            .iter()
            .zip(cells.iter())
            .filter_map(|(c, v)| c.map(|c| (c, v.text.as_str())))
            .collect();
        if typed.iter().all(|(_, v)| v.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let mut problem = |e: FieldError| {
            problems.push(RowProblem {
                row: *line,
                column: col_header(e.field),
                error: e,
            })
        };
        let parsed = match parse_payroll_row(&typed) {
            Ok(p) => p,
            Err(errs) => {
                for e in errs {
                    problem(e);
                }
                continue;
            }
        };
        let found = if let Some(id) = &parsed.id_number {
            let idx = st
                .cipher
                .blind_index(crate::crypto::Field::IdNumber, id.as_str());
            match by_idx.get(&idx) {
                Some(i) => Ok(*i),
                None => Err(FieldError::new("id_number", t::PAYROLL_UNKNOWN_ID)),
            }
        } else {
            let name = parsed.name.clone().unwrap_or_default();
            let school = match &parsed.school {
                Some(s) => match schools.get(&domain::roster::compact(s)) {
                    Some(id) => Ok(Some(*id)),
                    None => Err(FieldError::new("school", t::PAYROLL_UNKNOWN_SCHOOL)
                        .arg("school", s.clone())),
                },
                None => Ok(None),
            };
            school.and_then(|school| {
                let cands: Vec<usize> = by_name
                    .get(&name)
                    .map(|v| {
                        v.iter()
                            .copied()
                            .filter(|i| school.is_none_or(|s| members[*i].2 == s))
                            .collect()
                    })
                    .unwrap_or_default();
                match cands.as_slice() {
                    [one] => Ok(*one),
                    [] => Err(FieldError::new("name", t::PAYROLL_UNKNOWN_NAME).arg("name", name)),
                    _ => Err(FieldError::new("name", t::PAYROLL_AMBIGUOUS_NAME).arg("name", name)),
                }
            })
        };
        let i = match found {
            Ok(i) => i,
            Err(e) => {
                problem(e);
                continue;
            }
        };
        let m = &members[i];
        if let Some(first) = seen.get(&m.0) {
            let field = if parsed.id_number.is_some() {
                "id_number"
            } else {
                "name"
            };
            problem(FieldError::new(field, t::PAYROLL_DUPLICATE).arg("row", *first));
            continue;
        }
        seen.insert(m.0, *line);
        total += parsed.base_fen;
        staged.push((m.0, parsed.base_fen, parsed.month));
        matched.push(Matched {
            row: *line,
            member: MemberId(m.0),
            name: m.1.clone(),
            school: m.3.clone(),
            id_masked: parsed
                .id_number
                .as_ref()
                .map(|i| domain::privacy::mask_id_number(i.as_str()))
                .unwrap_or_default(),
        });
    }
    if rows == 0 {
        return Err(invalid(FieldError::new("file", t::PAYROLL_EMPTY)));
    }
    let json = serde_json::to_vec(&staged).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    let id = crate::db::reserve_ids(&mut tx, "funds_payroll_batch", 1)
        .await?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Other("no id reserved".into()))?;
    let enc = st.cipher.seal(super::PAYROLL_ROWS.at(id), &json);
    let good = staged.len() as i64;
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO funds_payroll_batch (id, account_id, target_unit_id, file_name, total_rows, good_rows, rows_enc, applied, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8)",
        )
        .bind(id)
        .bind(who.account.map(|a| a.0))
        .bind(target.0)
        .bind(file_name)
        .bind(rows as i64)
        .bind(good)
        .bind(&enc)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    tx.commit().await?;
    Ok(Preview {
        batch: PayrollBatchId(id),
        file_name: file_name.to_string(),
        rows,
        matched,
        problems,
        base_total_fen: total,
    })
}

/// Writes the staged bases of a batch of the same account (others: 404), each audited; the
/// staged rows are dropped. `month` is used for rows without a month column. Returns how
/// many bases changed.
pub async fn apply(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    batch: PayrollBatchId,
    month: NaiveDate,
) -> Result<(OrgUnitId, u64), StoreError> {
    let mut tx = st.db.begin().await?;
    let row: Option<(i64, Option<Vec<u8>>)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT target_unit_id, rows_enc FROM funds_payroll_batch WHERE id = $1 AND account_id IS NOT DISTINCT FROM $2 AND NOT applied",
        )
        .bind(batch.0)
        .bind(who.account.map(|a| a.0))
        .fetch_optional(&mut *c)
        .await
    })?;
    let (target, enc) = row.ok_or(StoreError::NotFound)?;
    let enc = enc.ok_or(StoreError::NotFound)?;
    let json = st.cipher.open(super::PAYROLL_ROWS.at(batch.0), &enc)?;
    let staged: Vec<(i64, i64, Option<NaiveDate>)> =
        serde_json::from_slice(&json).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut changed = 0u64;
    for (member, base, m) in staged {
        // The member is checked again against the applier's scope (it may have moved).
        let mut q = Sql::new("SELECT m.school_union_id FROM member m WHERE m.id = ");
        q.bind(Arg::I64(member));
        crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
        let school: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
        let Some((school,)) = school.into_iter().next() else {
            continue;
        };
        if dues::write_base(
            &mut tx,
            st,
            who,
            MemberId(member),
            OrgUnitId(school),
            base,
            m.unwrap_or(month),
            "payroll",
        )
        .await?
        {
            changed += 1;
        }
    }
    on_tx!(&mut tx, |c| {
        sqlx::query("UPDATE funds_payroll_batch SET applied = TRUE, rows_enc = NULL WHERE id = $1")
            .bind(batch.0)
            .execute(&mut *c)
            .await
            .map(|_| ())
    })?;
    tx.commit().await?;
    Ok((OrgUnitId(target), changed))
}
