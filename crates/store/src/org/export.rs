//! Member export to .xlsx. Rows are read in keyset pages and written by the spreadsheet
//! writer's constant-memory mode, so a province exports without holding it in memory. ID
//! numbers and phones are written as text (Excel keeps only 15 digits of a number) and
//! masked unless the caller holds the personal-data export capability. Every export is an
//! audit record, with its stated purpose.

use super::coded;
use super::members::{MemberFilter, filter_sql};
use crate::audit::{self, Event, Who};
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::org::*;
use domain::privacy::{mask_id_number, mask_phone};
use rust_xlsxwriter::{Format, Workbook};

/// Texts of the file, in the reader's language: column headers in [`EXPORT_COLUMNS`] order
/// and a function from a catalogue key to its text (for coded values).
pub struct ExportText<'a> {
    pub sheet_name: String,
    pub headers: Vec<String>,
    pub label: &'a (dyn Fn(&str) -> String + Sync),
}

/// Columns of the export, by catalogue field name.
pub const EXPORT_COLUMNS: [&str; 15] = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "school",
    "branch",
    "post",
    "title",
    "ethnicity",
    "political_status",
    "education",
    "employment_type",
    "join_date",
    "status",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    school_union_id: i64,
    school_name: String,
    branch_name: Option<String>,
    name: String,
    name_pinyin: String,
    gender: String,
    birth_date: NaiveDate,
    id_number_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    post: String,
    title: Option<String>,
    ethnicity: Option<String>,
    political_status: Option<String>,
    education: Option<String>,
    employment_type: Option<String>,
    join_date: Option<NaiveDate>,
    join_date_precision: String,
    status: String,
}

/// Writes the filtered list. `full` unmasks personal data; then `purpose` is required.
#[allow(clippy::too_many_arguments)]
pub async fn export_members(
    st: &Store,
    cap: &Cap<perm::MemberExport>,
    full: Option<&Cap<perm::PersonalDataExport>>,
    who: &Who,
    purpose: Option<&str>,
    f: &MemberFilter,
    today: NaiveDate,
    text: &ExportText<'_>,
) -> Result<(Vec<u8>, u64), StoreError> {
    let purpose = purpose.map(str::trim).filter(|p| !p.is_empty());
    if full.is_some() && purpose.is_none() {
        return Err(StoreError::field("purpose", domain::text::PURPOSE_REQUIRED));
    }
    let mut wb = Workbook::new();
    // Fast compression: the file is a little larger, the export much quicker.
    wb.set_zip_compression_level(1);
    let bold = Format::new().set_bold();
    let as_text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
    ws.set_name(&text.sheet_name).map_err(xlsx_err)?;
    for (c, h) in text.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(xlsx_err)?;
    }
    ws.set_column_width(3, 22).map_err(xlsx_err)?;
    ws.set_column_width(4, 14).map_err(xlsx_err)?;
    ws.set_column_width(5, 24).map_err(xlsx_err)?;
    let label = |kind_key: String| (text.label)(&kind_key);
    let mut after: Option<(i64, String, i64)> = None;
    let mut r: u32 = 1;
    loop {
        let mut sql = Sql::new(
            "SELECT m.id, m.school_union_id, s.name AS school_name, b.name AS branch_name, m.name, m.gender, m.birth_date, m.id_number_enc, m.phone_enc, m.post, m.title, m.ethnicity, m.political_status, m.education, m.employment_type, m.join_date, m.join_date_precision, m.status, m.name_pinyin
             FROM member m JOIN org_unit s ON s.id = m.school_union_id LEFT JOIN org_unit b ON b.id = m.branch_id WHERE 1 = 1",
        );
        crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
        filter_sql(&mut sql, &st.cipher, f, today, None);
        if let Some((s, n, id)) = &after {
            sql.push(" AND (m.school_union_id, m.name_pinyin, m.id) > (")
                .bind(Arg::I64(*s))
                .push(", ")
                .bind(Arg::Text(n.clone()))
                .push(", ")
                .bind(Arg::I64(*id))
                .push(")");
        }
        sql.push(" ORDER BY m.school_union_id, m.name_pinyin, m.id LIMIT 2000");
        let rows: Vec<Row> = sql.fetch_all(&st.db).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id_plain = st
                .cipher
                .open_str(super::ID_NUMBER.at(row.id), &row.id_number_enc)?;
            let phone = row
                .phone_enc
                .as_deref()
                .map(|p| st.cipher.open_str(super::PHONE.at(row.id), p))
                .transpose()?;
            let (id_text, phone_text) = if full.is_some() {
                (id_plain, phone.unwrap_or_default())
            } else {
                (
                    mask_id_number(&id_plain),
                    phone.as_deref().map(mask_phone).unwrap_or_default(),
                )
            };
            // A masked number never sits beside the birth date (with the region code of the
            // district, date and last four give the whole number away): the year only.
            let birth = if full.is_some() {
                row.birth_date.format("%Y-%m-%d").to_string()
            } else {
                row.birth_date.format("%Y").to_string()
            };
            let cells: [String; 15] = [
                row.name.clone(),
                label(coded::<Gender>(&row.gender)?.label_key()),
                birth,
                id_text,
                phone_text,
                row.school_name.clone(),
                row.branch_name.clone().unwrap_or_default(),
                label(coded::<Post>(&row.post)?.label_key()),
                opt_label::<ProfessionalTitle>(&label, row.title.as_deref())?,
                row.ethnicity.clone().unwrap_or_default(),
                opt_label::<PoliticalStatus>(&label, row.political_status.as_deref())?,
                opt_label::<Education>(&label, row.education.as_deref())?,
                opt_label::<EmploymentType>(&label, row.employment_type.as_deref())?,
                match row.join_date {
                    Some(d) => {
                        domain::roster::show_date(d, super::precision(&row.join_date_precision)?)
                    }
                    None => String::new(),
                },
                label(coded::<MemberStatus>(&row.status)?.label_key()),
            ];
            for (c, v) in cells.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                if c == 3 || c == 4 {
                    ws.write_string_with_format(r, c as u16, v, &as_text)
                        .map_err(xlsx_err)?;
                } else {
                    ws.write_string(r, c as u16, v).map_err(xlsx_err)?;
                }
            }
            r += 1;
        }
        after = rows
            .last()
            .map(|x| (x.school_union_id, x.name_pinyin.clone(), x.id));
    }
    let count = u64::from(r - 1);
    ws.autofilter(
        0,
        0,
        r.saturating_sub(1).max(1),
        (EXPORT_COLUMNS.len() - 1) as u16,
    )
    .map_err(xlsx_err)?;
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_err)?;

    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("rows", count).note("unmasked", full.is_some());
    if let Some(p) = purpose {
        ch.note("purpose", p);
    }
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: if full.is_some() {
                "member.export_personal_data"
            } else {
                "member.export"
            },
            entity_type: "member",
            entity_id: None,
            org_unit: f
                .unit
                .or_else(|| cap.scope().roots().and_then(|r| r.first().copied())),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((bytes, count))
}

fn opt_label<C: Coded>(
    label: &impl Fn(String) -> String,
    code: Option<&str>,
) -> Result<String, StoreError> {
    Ok(match code {
        Some(c) => label(coded::<C>(c)?.label_key()),
        None => String::new(),
    })
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> StoreError {
    StoreError::Other(format!("spreadsheet: {e}"))
}
