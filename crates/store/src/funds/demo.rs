//! The demo district's money year (seeds 002–004: dues collection, the audit committee
//! reviewing the funds "area by area"): for every school union, each month from January to
//! the demo's today, the dues levy on its active members' bases and the union-fund levy on
//! its payroll (a few schools in arrears for the latest month), a budget by category sized
//! to the year's expected income, expenses entered by the finance officer and approved by
//! the chair (the latest ones still awaiting approval), one expense refused over its cap,
//! and the audit committee's findings by area, some rectified. Deterministic; runs through
//! the same store functions as people do, so every row has its audit record.

use super::{findings, ledger};
use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::{Datelike, NaiveDate};
use domain::auth::{perm, system_cap};
use domain::funds::*;
use domain::ids::{AccountId, OrgUnitId};

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await.map(|_| ()) })
}

/// What the demo loaded: (levies, expenses, findings, refused over-cap expenses).
pub async fn load(
    run: &crate::area::DemoRun<'_>,
) -> Result<(usize, usize, usize, usize), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let year = today.year();
    let schools: Vec<(i64, i64)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT u.id, CAST(COUNT(m.id) AS BIGINT) FROM org_unit u LEFT JOIN member m ON m.school_union_id = u.id AND m.status = 'active'
         WHERE u.kind = 'school_union' GROUP BY u.id ORDER BY u.id"
    )
    .fetch_all(p)
    .await
    })?;
    let enter = system_cap::<perm::FundsEnter>(run.sys, AccountId(0));
    let approve = system_cap::<perm::FundsApprove>(run.sys, AccountId(0));
    let audit = system_cap::<perm::FundsAudit>(run.sys, AccountId(0));
    let officer = Who::system("财务委员（演示）");
    let chair = Who::system("工会主席（演示）");
    let auditor = Who::system("经审委员（演示）");
    let months = today.month();
    let (mut levies, mut expenses, mut found, mut refused) = (0, 0, 0, 0);
    let rules = FundsRules::DEFAULT;
    for (i, &(school, active)) in schools.iter().enumerate() {
        let school = OrgUnitId(school);
        let active = active.max(5);
        let seed = i as i64 * 7919 + run.opts.seed as i64;
        // Dues base per member ¥4,000–5,999 (salary-scale parts); payroll ¥11,000 per head.
        let dues_base = active * (400_000 + (seed * 37) % 200_000);
        let payroll = active * (1_100_000 + (seed * 53) % 300_000);
        let yearly = 12
            * (rules.levy(LevyKind::Dues, dues_base).kept_fen
                + rules.levy(LevyKind::UnionFund, payroll).kept_fen);
        let shares: [(ExpenseCategory, i64); 6] = [
            (ExpenseCategory::MemberActivities, 50),
            (ExpenseCategory::RightsProtection, 10),
            (ExpenseCategory::Operations, 20),
            (ExpenseCategory::Capital, 5),
            (ExpenseCategory::Undertakings, 5),
            (ExpenseCategory::Other, 5),
        ];
        for (c, pct) in shares {
            ledger::set_budget(st, &enter, &officer, school, year, c, yearly * pct / 100).await?;
        }
        for m in 1..=months {
            let Some(month) = NaiveDate::from_ymd_opt(year, m, 1) else {
                continue;
            };
            let arrears = m == months && i % 6 == 5;
            for (kind, base) in [(LevyKind::Dues, dues_base), (LevyKind::UnionFund, payroll)] {
                let due = rules.levy(kind, base).due_fen;
                let paid = if arrears { due / 2 } else { due };
                ledger::record_levy(
                    st,
                    &enter,
                    &officer,
                    &ledger::LevyInput {
                        school,
                        kind,
                        month,
                        base_fen: base,
                        paid_fen: paid,
                    },
                )
                .await?;
                levies += 1;
            }
            // Two expenses a month within their lines; the month's income covers them.
            let on = (month + chrono::Duration::days(14 + (seed % 10))).min(today);
            let month_kept = yearly / 12;
            let spend: [(ExpenseCategory, i64, &str); 2] = match m % 4 {
                0 => [
                    (
                        ExpenseCategory::MemberActivities,
                        month_kept * 35 / 100,
                        "教职工趣味运动会",
                    ),
                    (
                        ExpenseCategory::Operations,
                        month_kept * 12 / 100,
                        "工会干部培训",
                    ),
                ],
                1 => [
                    (
                        ExpenseCategory::MemberActivities,
                        month_kept * 30 / 100,
                        "节日慰问品",
                    ),
                    (
                        ExpenseCategory::RightsProtection,
                        month_kept * 6 / 100,
                        "劳动法律宣传",
                    ),
                ],
                2 => [
                    (
                        ExpenseCategory::MemberActivities,
                        month_kept * 25 / 100,
                        "读书沙龙",
                    ),
                    (ExpenseCategory::Other, month_kept * 3 / 100, "银行手续费"),
                ],
                _ => [
                    (
                        ExpenseCategory::Operations,
                        month_kept * 15 / 100,
                        "教代会会务",
                    ),
                    (
                        ExpenseCategory::Undertakings,
                        month_kept * 3 / 100,
                        "职工之家设施维护",
                    ),
                ],
            };
            for (c, amount, note) in spend {
                if amount <= 0 {
                    continue;
                }
                let id = ledger::enter_expense(st, &enter, &officer, school, c, amount, note, on)
                    .await?;
                expenses += 1;
                if m < months {
                    ledger::approve(st, &approve, &chair, id, on).await?;
                }
            }
        }
        // The first school tries to buy equipment beyond its capital line: refused.
        if i == 0 {
            let over = yearly * 5 / 100 + 100;
            match ledger::enter_expense(
                st,
                &enter,
                &officer,
                school,
                ExpenseCategory::Capital,
                over,
                "购置健身器材",
                today,
            )
            .await
            {
                Err(StoreError::Invalid(_)) => refused += 1,
                Err(e) => return Err(e),
                Ok(_) => {
                    return Err(StoreError::Other(
                        "demo: an over-cap expense was accepted".into(),
                    ));
                }
            }
        }
        // The audit committee reviews every third school (by area), with a finding.
        if i % 3 == 0 {
            let (sev, text) = match i % 9 {
                0 => (Severity::Minor, "部分支出凭证缺少经办人签字"),
                3 => (Severity::Major, "慰问品采购未按规定比价"),
                _ => (Severity::Minor, "会费收缴台账未按月登记"),
            };
            let id = findings::record(
                st,
                &audit,
                &auditor,
                None,
                &findings::FindingInput {
                    school,
                    year,
                    severity: sev,
                    finding: text.into(),
                    deadline: today + chrono::Duration::days(10 + (i as i64 % 40)),
                },
                today,
            )
            .await?;
            found += 1;
            if i % 2 == 0 {
                findings::rectify(
                    st,
                    &enter,
                    &officer,
                    id,
                    "已补齐签字并建立凭证审核流程，附整改说明",
                    today,
                )
                .await?;
            }
        }
    }
    Ok((levies, expenses, found, refused))
}
