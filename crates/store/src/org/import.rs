//! Roster import: find the header row, map the usual Chinese (and English) column names,
//! validate every row, compare with the members already stored, and — unless it is a dry
//! run — apply all-or-nothing or valid rows only, in one transaction.
//!
//! Re-importing the same file changes nothing: members are matched by ID number (through
//! its blind index), and empty or missing cells never erase stored values.
//!
//! Every cell is normalised first (NFKC, full-width to half-width, spaces) and read with the
//! roster vocabulary (`domain::roster`). A value of a coded column that no table names is
//! not a row error but a question, asked once per distinct value and answered from the
//! field's list; answers are remembered per unit (`value_map`) and used by every later run.
//! Legal but odd values are warnings, which never stop a row.
//!
//! The file is read on a blocking thread and handed over in chunks through a bounded
//! channel, so memory stays flat however long the sheet is.

use super::members::{draft_changes, encode};
use super::roster_file::{self, CellText, RawRow, RosterError};
use super::units::{NewUnit, insert_unit};
use super::{coded, opt_coded};
use crate::audit::{self, Event, Who};
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::*;
use domain::privacy::mask_id_number;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Errors kept in a report; beyond this only the count grows.
pub const MAX_ERRORS_KEPT: usize = 10_000;
/// Planned rows kept in a report as a preview.
pub const SAMPLE_ROWS: usize = 200;
const CHUNK: usize = 1000;
const HEADER_SEARCH_ROWS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    DryRun,
    AllOrNothing,
    ValidRows,
}

impl ImportMode {
    pub fn code(self) -> &'static str {
        match self {
            ImportMode::DryRun => "dry_run",
            ImportMode::AllOrNothing => "all_or_nothing",
            ImportMode::ValidRows => "valid_rows",
        }
    }
    pub fn from_code(s: &str) -> Option<ImportMode> {
        [
            ImportMode::DryRun,
            ImportMode::AllOrNothing,
            ImportMode::ValidRows,
        ]
        .into_iter()
        .find(|m| m.code() == s)
    }
}

/// Called with the number of rows processed so far, after each chunk.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// A school union, or a unit above schools (the file then names each row's school).
    pub target: OrgUnitId,
    pub mode: ImportMode,
    pub max_rows: usize,
    pub today: NaiveDate,
    pub progress: Option<Progress>,
}

/// A column the importer understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    Gender,
    BirthDate,
    IdNumber,
    Phone,
    School,
    Branch,
    Post,
    Title,
    Ethnicity,
    PoliticalStatus,
    Education,
    EmploymentType,
    JoinDate,
    Status,
}

impl Column {
    pub const ALL: [Column; 15] = [
        Column::Name,
        Column::Gender,
        Column::BirthDate,
        Column::IdNumber,
        Column::Phone,
        Column::School,
        Column::Branch,
        Column::Post,
        Column::Title,
        Column::Ethnicity,
        Column::PoliticalStatus,
        Column::Education,
        Column::EmploymentType,
        Column::JoinDate,
        Column::Status,
    ];

    /// The field name used in errors (the same as the member form's).
    pub fn field(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Gender => "gender",
            Column::BirthDate => "birth_date",
            Column::IdNumber => "id_number",
            Column::Phone => "phone",
            Column::School => "school",
            Column::Branch => "branch",
            Column::Post => "post",
            Column::Title => "title",
            Column::Ethnicity => "ethnicity",
            Column::PoliticalStatus => "political_status",
            Column::Education => "education",
            Column::EmploymentType => "employment_type",
            Column::JoinDate => "join_date",
            Column::Status => "status",
        }
    }

    /// Header texts people use, normalised (no spaces, lower case).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["姓名", "名字", "会员姓名", "教职工姓名", "name"],
            Column::Gender => &["性别", "gender", "sex"],
            Column::BirthDate => &[
                "出生日期",
                "出生年月",
                "出生年月日",
                "生日",
                "birthdate",
                "dateofbirth",
                "birth_date",
            ],
            Column::IdNumber => &[
                "身份证号",
                "身份证号码",
                "身份证",
                "公民身份号码",
                "证件号码",
                "idnumber",
                "id_number",
                "idno",
                "idcard",
            ],
            Column::Phone => &[
                "手机号",
                "手机号码",
                "手机",
                "联系电话",
                "电话",
                "联系方式",
                "phone",
                "mobile",
            ],
            Column::School => &[
                "单位",
                "学校",
                "所在单位",
                "工作单位",
                "基层工会",
                "学校代码",
                "单位代码",
                "school",
                "schoolcode",
                "unit",
            ],
            Column::Branch => &[
                "部门",
                "分工会",
                "工会小组",
                "科室",
                "年级组",
                "教研组",
                "branch",
                "department",
            ],
            Column::Post => &[
                "岗位",
                "岗位类别",
                "岗位类型",
                "人员岗位",
                "post",
                "position",
            ],
            Column::Title => &["职称", "专业技术职称", "专技职称", "title"],
            Column::Ethnicity => &["民族", "ethnicity"],
            Column::PoliticalStatus => &["政治面貌", "politicalstatus", "political_status"],
            Column::Education => &["学历", "最高学历", "education"],
            Column::EmploymentType => &[
                "用工性质",
                "用工形式",
                "人员性质",
                "编制",
                "编制情况",
                "人员类别",
                "employmenttype",
                "employment_type",
            ],
            Column::JoinDate => &[
                "入会时间",
                "入会日期",
                "入会年月",
                "joindate",
                "join_date",
                "joined",
            ],
            Column::Status => &["状态", "人员状态", "在职状态", "status"],
        }
    }

    fn from_header(h: &str) -> Option<Column> {
        let norm: String = domain::roster::compact(h)
            .chars()
            .filter(|c| {
                !c.is_whitespace()
                    && !matches!(c, '*' | '＊' | ':' | '：' | '(' | ')' | '（' | '）')
            })
            .collect::<String>()
            .to_lowercase();
        if norm.is_empty() {
            return None;
        }
        Column::ALL
            .into_iter()
            .find(|c| c.aliases().contains(&norm.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based row number in the spreadsheet.
    pub row: u32,
    /// The header text of the column, as written in the file.
    pub column: Option<String>,
    pub field: String,
    pub key: String,
    pub args: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RowAction {
    Create,
    Update { fields: Vec<String> },
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRow {
    pub row: u32,
    pub action: RowAction,
    pub name: String,
    pub school: String,
    pub id_masked: String,
}

/// A value of a coded column that no table names, with the rows that hold it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Question {
    pub field: String,
    /// The header text of the column, as written in the file.
    pub column: Option<String>,
    /// The value as read (normalised).
    pub value: String,
    pub rows: u64,
    /// The first rows holding it (at most [`QUESTION_ROWS_KEPT`]).
    pub first_rows: Vec<u32>,
}

/// Row numbers kept per question.
pub const QUESTION_ROWS_KEPT: usize = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportReport {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub invalid_rows: u64,
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub sample: Vec<PlannedRow>,
    pub new_branches: Vec<(String, String)>,
    /// (header as written, field) of every recognised column.
    pub columns: Vec<(String, String)>,
    pub ignored_columns: Vec<String>,
    /// True when the changes were written.
    pub applied: bool,
    /// Legal but odd values (the row is imported).
    pub warnings: Vec<RowError>,
    /// Values to map before their rows can be imported, in order of first appearance.
    pub questions: Vec<Question>,
    /// Rows whose only problem is a value still to map.
    pub pending_rows: u64,
    /// The sheet row (or CSV line) of the header.
    pub header_row: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] RosterError),
    #[error("no header row with a name and an ID number column was found")]
    NoHeader,
    #[error("required columns are missing: {0:?}")]
    MissingColumns(Vec<&'static str>),
    #[error("the sheet has more than {0} rows")]
    TooManyRows(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Msg {
    Rows(Vec<RawRow>),
    TooMany,
    Failed(RosterError),
}

/// Reads `bytes` on a blocking thread; rows arrive in chunks.
fn spawn_reader(bytes: Arc<Vec<u8>>, max_rows: usize) -> tokio::sync::mpsc::Receiver<Msg> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Msg>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf: Vec<RawRow> = Vec::with_capacity(CHUNK);
        let mut count = 0usize;
        let mut too_many = false;
        let r = roster_file::read_rows(&bytes, |row| {
            count += 1;
            // One extra row for the header.
            if count > max_rows + 1 {
                too_many = true;
                return ControlFlow::Break(());
            }
            buf.push(row);
            if buf.len() >= CHUNK {
                let chunk = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
                if tx.blocking_send(Msg::Rows(chunk)).is_err() {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        let last = match (r, too_many) {
            (Err(e), _) => Some(Msg::Failed(e)),
            (Ok(()), true) => Some(Msg::TooMany),
            (Ok(()), false) => None,
        };
        if !buf.is_empty() && last.is_none() {
            let _ = tx.blocking_send(Msg::Rows(buf));
        }
        if let Some(m) = last {
            let _ = tx.blocking_send(m);
        }
    });
    rx
}

#[derive(Clone)]
struct SchoolRef {
    id: OrgUnitId,
    code: String,
    name: String,
}

/// A stored member as the importer compares it.
struct Existing {
    id: MemberId,
    school: OrgUnitId,
    branch: Option<OrgUnitId>,
    draft: MemberDraft,
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    school_union_id: i64,
    branch_id: Option<i64>,
    name: String,
    gender: String,
    birth_date: NaiveDate,
    id_number_enc: Vec<u8>,
    id_number_idx: Vec<u8>,
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

/// A row that passed validation, with its encrypted columns and its creation record
/// already computed (on the validator thread, while the database writes the previous chunk).
struct Valid {
    row: u32,
    input: MemberInput,
    draft: MemberDraft,
    school: OrgUnitId,
    school_name: String,
    branch_name: Option<String>,
    idx: Vec<u8>,
    enc: super::members::Encoded,
    /// The audit record's changes for a creation, as JSON, without the branch.
    creation: String,
}

/// A chunk of rows after validation.
struct Checked {
    rows: u64,
    valid: Vec<Valid>,
    errors: Vec<RowError>,
    invalid: u64,
    warnings: Vec<RowError>,
    /// (row, field, value as read) of every value still to map.
    questions: Vec<(u32, &'static str, String)>,
    pending: u64,
    /// Rows of the platform's own masked export, to match with a stored member.
    masked: Vec<Masked>,
}

/// A row whose only problem is a masked ID number (`3301**********1234`, as a masked export
/// writes it): it is matched with the one stored member of the schools in scope with the
/// same name and the same visible digits, or named as an error.
struct Masked {
    row: u32,
    input: MemberInput,
    head: String,
    tail: String,
    branch_name: Option<String>,
}

/// The visible ends of a masked ID number, if it is one: the platform's mask shows the last
/// four characters only (`**************4405`); exports of older versions also showed the
/// first four (`3301**********4405`).
fn masked_id(s: &str) -> Option<(String, String)> {
    let c: Vec<char> = domain::roster::compact(s).chars().collect();
    if c.len() != 18 {
        return None;
    }
    let head_len = c[..4].iter().take_while(|x| x.is_ascii_digit()).count();
    let head_ok = head_len == 0 || head_len == 4;
    (head_ok
        && c[head_len..14].iter().all(|x| *x == '*')
        && c[14..17].iter().all(char::is_ascii_digit)
        && (c[17].is_ascii_digit() || c[17] == 'X' || c[17] == 'x'))
        .then(|| {
            (
                c[..head_len].iter().collect(),
                c[14..].iter().collect::<String>().to_uppercase(),
            )
        })
}

/// What one row gave.
#[derive(Default)]
struct RowOutcome {
    masked: Option<Masked>,
    valid: Option<Valid>,
    errors: Vec<FieldError>,
    questions: Vec<(&'static str, String)>,
    warnings: Vec<FieldError>,
}

enum Stage {
    Chunk(Checked),
    TooMany,
    Failed(RosterError),
}

/// Everything about a row that needs no database: runs on a blocking thread.
struct Validator {
    cipher: crate::Cipher,
    today: NaiveDate,
    columns: Vec<Option<Column>>,
    headers: Vec<String>,
    schools_by_code: HashMap<String, usize>,
    schools_by_name: HashMap<String, usize>,
    schools: Vec<SchoolRef>,
    default_school: Option<usize>,
    seen: HashMap<Vec<u8>, u32>,
    map: super::value_map::ValueMap,
}

struct Importer<'a> {
    st: &'a Store,
    who: &'a Who,
    opts: &'a ImportOptions,
    columns: Vec<Option<Column>>,
    headers: Vec<String>,
    schools: Vec<SchoolRef>,
    branches: HashMap<OrgUnitId, HashMap<String, Option<OrgUnitId>>>,
    report: ImportReport,
    tx: Option<Tx>,
    writing: bool,
}

/// The header text of a field's column, as written in the file.
fn header_of(columns: &[Option<Column>], headers: &[String], field: &str) -> Option<String> {
    let col = Column::ALL.into_iter().find(|c| c.field() == field)?;
    let i = columns.iter().position(|c| *c == Some(col))?;
    headers.get(i).cloned()
}

fn row_error(columns: &[Option<Column>], headers: &[String], row: u32, e: &FieldError) -> RowError {
    RowError {
        row,
        column: header_of(columns, headers, e.field),
        field: e.field.to_string(),
        key: e.key.to_string(),
        args: e
            .args
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

/// The columns of a header row: `Some` when the row names at least a name and an ID number
/// column (the header `run` looks for among the first rows).
pub fn header_columns(cells: &[CellText]) -> Option<Vec<Option<Column>>> {
    let cols: Vec<Option<Column>> = cells.iter().map(|c| Column::from_header(&c.text)).collect();
    (cols.contains(&Some(Column::Name)) && cols.contains(&Some(Column::IdNumber))).then_some(cols)
}

/// What [`check_offline`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfflineCheck {
    pub header_row: u32,
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub pending: u64,
    pub masked: u64,
    pub questions: u64,
}

/// The part of an import that needs no database, for the fuzz targets (`fuzz/`) and
/// tests: reads the file, finds the header among the first rows and maps its columns as
/// [`run`] does, then validates every row as [`run`]'s validator does (into one school,
/// with no remembered answers). Never panics on any input.
pub fn check_offline(
    bytes: &[u8],
    today: NaiveDate,
    max_rows: usize,
) -> Result<OfflineCheck, ImportError> {
    let mut rows: Vec<RawRow> = Vec::new();
    let mut too_many = false;
    roster_file::read_rows(bytes, |r| {
        if rows.len() >= max_rows {
            too_many = true;
            return ControlFlow::Break(());
        }
        rows.push(r);
        ControlFlow::Continue(())
    })?;
    if too_many {
        return Err(ImportError::TooManyRows(max_rows));
    }
    let mut it = rows.into_iter();
    let mut header = None;
    for (looked, (row_no, cells)) in it.by_ref().enumerate() {
        if looked >= HEADER_SEARCH_ROWS {
            break;
        }
        if let Some(cols) = header_columns(&cells) {
            let headers: Vec<String> = cells.into_iter().map(|c| c.text).collect();
            header = Some((row_no, headers, cols));
            break;
        }
    }
    let (header_row, headers, columns) = header.ok_or(ImportError::NoHeader)?;
    let mut v = Validator {
        cipher: crate::Cipher::new(&[7u8; 32]),
        today,
        columns,
        headers,
        schools_by_code: HashMap::new(),
        schools_by_name: HashMap::new(),
        schools: vec![SchoolRef {
            id: OrgUnitId(1),
            code: "offline".into(),
            name: "offline".into(),
        }],
        default_school: Some(0),
        seen: HashMap::new(),
        map: Default::default(),
    };
    let c = v.chunk(it.collect());
    Ok(OfflineCheck {
        header_row,
        rows: c.rows,
        valid: c.valid.len() as u64,
        invalid: c.invalid,
        pending: c.pending,
        masked: c.masked.len() as u64,
        questions: c.questions.len() as u64,
    })
}

/// Runs an import (or a dry run) of a roster file into the subtree of `opts.target`.
pub async fn run(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    who: &Who,
    bytes: Arc<Vec<u8>>,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let target = super::units::get_unit(&st.db, cap, opts.target).await?;
    let mut sql = Sql::new(
        "SELECT u.id, u.code, u.name FROM org_unit u JOIN org_closure c ON c.descendant_id = u.id WHERE u.kind = 'school_union' AND c.ancestor_id = ",
    );
    sql.bind(Arg::I64(target.id.0));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    sql.push(" ORDER BY u.id");
    let rows: Vec<(i64, String, String)> = sql.fetch_all(&st.db).await?;
    let schools: Vec<SchoolRef> = rows
        .into_iter()
        .map(|(id, code, name)| SchoolRef {
            id: OrgUnitId(id),
            code,
            name,
        })
        .collect();
    let default_school = if target.kind == OrgKind::SchoolUnion {
        schools.iter().position(|s| s.id == target.id)
    } else {
        None
    };

    let mut rx = spawn_reader(bytes, opts.max_rows);
    // Find the header among the first rows.
    let mut pending: Vec<RawRow> = Vec::new();
    let mut header: Option<(Vec<String>, Vec<Option<Column>>)> = None;
    let mut header_row = 0u32;
    let mut looked = 0usize;
    while header.is_none() {
        let chunk = match rx.recv().await {
            Some(Msg::Rows(c)) => c,
            Some(Msg::TooMany) => return Err(ImportError::TooManyRows(opts.max_rows)),
            Some(Msg::Failed(e)) => return Err(ImportError::File(e)),
            None => return Err(ImportError::NoHeader),
        };
        let mut it = chunk.into_iter();
        for (row_no, cells) in it.by_ref() {
            looked += 1;
            if let Some(cols) = header_columns(&cells) {
                header = Some((cells.into_iter().map(|c| c.text).collect(), cols));
                header_row = row_no;
                break;
            }
            if looked >= HEADER_SEARCH_ROWS {
                return Err(ImportError::NoHeader);
            }
        }
        pending.extend(it);
    }
    let Some((headers, columns)) = header else {
        return Err(ImportError::NoHeader);
    };
    let mut missing = Vec::new();
    for req in [Column::Name, Column::IdNumber, Column::Post] {
        if !columns.contains(&Some(req)) {
            missing.push(req.field());
        }
    }
    if default_school.is_none() && !columns.contains(&Some(Column::School)) {
        missing.push(Column::School.field());
    }
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }

    let map = super::value_map::load(st, cap, opts.target).await?;
    let mut report = ImportReport {
        header_row,
        ..ImportReport::default()
    };
    for (h, c) in headers.iter().zip(&columns) {
        match c {
            Some(c) => report.columns.push((h.clone(), c.field().to_string())),
            None if !h.trim().is_empty() => report.ignored_columns.push(h.clone()),
            None => {}
        }
    }
    let mut schools_by_code = HashMap::new();
    let mut schools_by_name = HashMap::new();
    for (i, s) in schools.iter().enumerate() {
        schools_by_code.insert(s.code.to_lowercase(), i);
        schools_by_name.insert(s.name.clone(), i);
    }
    let writing = opts.mode != ImportMode::DryRun;
    let tx = if writing {
        Some(st.db.begin().await?)
    } else {
        None
    };
    // Reader thread → validator thread → this task (database): three stages, each chunk
    // handed on through a bounded channel.
    let mut validator = Validator {
        cipher: st.cipher.clone(),
        today: opts.today,
        columns: columns.clone(),
        headers: headers.clone(),
        schools_by_code,
        schools_by_name,
        schools: schools.clone(),
        default_school,
        seen: HashMap::new(),
        map,
    };
    let (stx, mut srx) = tokio::sync::mpsc::channel::<Stage>(2);
    tokio::task::spawn_blocking(move || {
        if !pending.is_empty()
            && stx
                .blocking_send(Stage::Chunk(validator.chunk(pending)))
                .is_err()
        {
            return;
        }
        while let Some(msg) = rx.blocking_recv() {
            let out = match msg {
                Msg::Rows(c) => Stage::Chunk(validator.chunk(c)),
                Msg::TooMany => Stage::TooMany,
                Msg::Failed(e) => Stage::Failed(e),
            };
            if stx.blocking_send(out).is_err() {
                return;
            }
        }
    });
    let mut imp = Importer {
        st,
        who,
        opts,
        columns,
        headers,
        schools,
        branches: HashMap::new(),
        report,
        tx,
        writing,
    };
    loop {
        match srx.recv().await {
            Some(Stage::Chunk(c)) => imp.chunk(c).await?,
            Some(Stage::TooMany) => return Err(ImportError::TooManyRows(opts.max_rows)),
            Some(Stage::Failed(e)) => return Err(ImportError::File(e)),
            None => break,
        }
    }
    imp.finish().await
}

impl Validator {
    fn cell<'c>(&self, cells: &'c [CellText], col: Column) -> Option<(usize, &'c CellText)> {
        let i = self.columns.iter().position(|c| *c == Some(col))?;
        cells.get(i).map(|c| (i, c))
    }

    fn text(&self, cells: &[CellText], col: Column) -> String {
        self.cell(cells, col)
            .map(|(_, c)| c.text.clone())
            .unwrap_or_default()
    }

    fn chunk(&mut self, rows: Vec<RawRow>) -> Checked {
        let mut out = Checked {
            rows: rows.len() as u64,
            valid: Vec::with_capacity(rows.len()),
            errors: Vec::new(),
            invalid: 0,
            warnings: Vec::new(),
            questions: Vec::new(),
            pending: 0,
            masked: Vec::new(),
        };
        for (row, cells) in &rows {
            let mut o = self.validate(*row, cells);
            if let Some(m) = o.masked.take() {
                out.masked.push(m);
                continue;
            }
            out.warnings.extend(
                o.warnings
                    .iter()
                    .map(|e| row_error(&self.columns, &self.headers, *row, e)),
            );
            out.questions
                .extend(o.questions.iter().map(|(f, v)| (*row, *f, v.clone())));
            if let Some(v) = o.valid {
                out.valid.push(v);
            } else if o.errors.is_empty() {
                out.pending += 1;
            } else {
                out.invalid += 1;
                out.errors.extend(
                    o.errors
                        .iter()
                        .map(|e| row_error(&self.columns, &self.headers, *row, e)),
                );
            }
        }
        out
    }

    /// The text of a column, with a remembered answer put in place of a value no table
    /// names.
    fn mapped(&self, cells: &[CellText], col: Column) -> String {
        let text = self.text(cells, col);
        if self.map.is_empty() || text.trim().is_empty() {
            return text;
        }
        match self.map.get(col.field(), &text) {
            Some(code) => code.to_string(),
            None => text,
        }
    }

    /// Validates one row without the database: every problem of the row at once.
    fn validate(&mut self, row: u32, cells: &[CellText]) -> RowOutcome {
        let mut input = MemberInput {
            name: self.text(cells, Column::Name),
            gender: self.mapped(cells, Column::Gender),
            birth_date: self.text(cells, Column::BirthDate),
            id_number: self.text(cells, Column::IdNumber),
            phone: self.text(cells, Column::Phone),
            post: self.mapped(cells, Column::Post),
            title: self.mapped(cells, Column::Title),
            ethnicity: self.mapped(cells, Column::Ethnicity),
            political_status: self.mapped(cells, Column::PoliticalStatus),
            education: self.mapped(cells, Column::Education),
            employment_type: self.mapped(cells, Column::EmploymentType),
            join_date: self.text(cells, Column::JoinDate),
            status: self.mapped(cells, Column::Status),
        };
        // A masked phone (`138****5678`) of the platform's own export keeps the stored one.
        if input.phone.contains('*') {
            input.phone.clear();
        }
        let mut out = RowOutcome::default();
        let lossy_id = self
            .cell(cells, Column::IdNumber)
            .is_some_and(|(_, c)| c.lossy_number);
        let parsed = input.parse_row(self.today);
        out.warnings = parsed.warnings;
        let mut errs: Vec<FieldError> = Vec::new();
        let draft = match parsed.draft {
            Ok(d) => Some(d),
            Err(e) => {
                for fe in e.0 {
                    // A value no table names is a question, not an error.
                    match domain::roster::MAPPABLE_FIELDS
                        .iter()
                        .find(|f| **f == fe.field)
                    {
                        Some(f) if fe.key == domain::text::CHOICE_INVALID => {
                            let value = fe
                                .args
                                .iter()
                                .find(|(k, _)| *k == "value")
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default();
                            out.questions.push((f, value));
                        }
                        _ => errs.push(fe),
                    }
                }
                None
            }
        };
        if lossy_id {
            errs.retain(|e| e.field != "id_number");
            errs.insert(0, FieldError::new("id_number", domain::text::ID_AS_NUMBER));
        }
        let school_text = self.text(cells, Column::School);
        let school = if school_text.trim().is_empty() {
            match self.default_school {
                Some(i) => Some(i),
                None => {
                    errs.push(FieldError::new("school", domain::text::REQUIRED));
                    None
                }
            }
        } else {
            let t = domain::roster::normalize(&school_text);
            let found = self
                .schools_by_code
                .get(&t.to_lowercase())
                .or_else(|| self.schools_by_name.get(&t))
                .copied();
            match found {
                Some(i) if self.default_school.is_none_or(|d| d == i) => Some(i),
                _ => {
                    errs.push(
                        FieldError::new("school", domain::text::SCHOOL_UNKNOWN).arg("value", t),
                    );
                    None
                }
            }
        };
        let branch_text = domain::roster::normalize(&self.text(cells, Column::Branch));
        let branch_name = match domain::org::optional_text("branch", &branch_text, 40) {
            Ok(b) => b,
            Err(e) => {
                errs.push(e);
                None
            }
        };
        // A duplicate is named whatever else is wrong with the row.
        let mut idx = None;
        if !lossy_id && let Ok(id) = IdNumber::parse(&domain::roster::compact(&input.id_number)) {
            let i = self.cipher.blind_index(Field::IdNumber, id.as_str());
            if let Some(first) = self.seen.get(&i) {
                errs.push(
                    FieldError::new("id_number", domain::text::ID_DUPLICATE_IN_FILE)
                        .arg("row", first),
                );
            } else {
                self.seen.insert(i.clone(), row);
                idx = Some(i);
            }
        }
        if let Some((head, tail)) = masked_id(&input.id_number)
            && out.questions.is_empty()
            && school.is_some()
            && errs.iter().all(|e| e.field == "id_number")
        {
            out.masked = Some(Masked {
                row,
                input,
                head,
                tail,
                branch_name,
            });
            return out;
        }
        if !errs.is_empty() || !out.questions.is_empty() {
            out.errors = errs;
            return out;
        }
        let (Some(draft), Some(school), Some(idx)) = (draft, school, idx) else {
            return out;
        };
        let enc = encode(&self.cipher, &draft);
        let creation = serde_json::to_string(&draft_changes(None, &draft, None))
            .unwrap_or_else(|_| "{}".into());
        out.valid = Some(Valid {
            row,
            input,
            draft,
            school: self.schools[school].id,
            school_name: self.schools[school].name.clone(),
            branch_name,
            idx,
            enc,
            creation,
        });
        out
    }
}

impl Importer<'_> {
    fn error(&mut self, e: RowError) {
        if self.report.errors.len() >= MAX_ERRORS_KEPT {
            self.report.errors_truncated = true;
            return;
        }
        self.report.errors.push(e);
    }

    fn warning(&mut self, e: RowError) {
        if self.report.warnings.len() < MAX_ERRORS_KEPT {
            self.report.warnings.push(e);
        }
    }

    fn question(&mut self, row: u32, field: &'static str, value: String) {
        let k = domain::roster::key(&value);
        if let Some(q) = self
            .report
            .questions
            .iter_mut()
            .find(|q| q.field == field && domain::roster::key(&q.value) == k)
        {
            q.rows += 1;
            if q.first_rows.len() < QUESTION_ROWS_KEPT {
                q.first_rows.push(row);
            }
            return;
        }
        if self.report.questions.len() >= MAX_ERRORS_KEPT {
            return;
        }
        self.report.questions.push(Question {
            field: field.to_string(),
            column: header_of(&self.columns, &self.headers, field),
            value,
            rows: 1,
            first_rows: vec![row],
        });
    }

    /// All or nothing writes nothing while a row is bad or still waits for an answer.
    fn blocked(&self) -> bool {
        self.opts.mode == ImportMode::AllOrNothing
            && (self.report.invalid_rows > 0 || self.report.pending_rows > 0)
    }

    fn stop_writing_if_needed(&mut self) {
        if self.blocked() {
            self.writing = false;
        }
    }

    /// Finds the stored member a masked row stands for: in the schools of this import, the
    /// same name and the same visible digits, exactly one.
    async fn unmask(&mut self, m: Masked) -> Result<Result<Valid, RowError>, StoreError> {
        let cipher = self.st.cipher.clone();
        let mut sql =
            Sql::new("SELECT id, id_number_enc, school_union_id FROM member WHERE id_tail_idx = ");
        sql.bind(Arg::Bytes(cipher.blind_index(Field::IdTail, &m.tail)))
            .push(" AND name = ")
            .bind(Arg::Text(domain::roster::normalize_name(&m.input.name)))
            .push(" ORDER BY id");
        let rows: Vec<(i64, Vec<u8>, i64)> = match &mut self.tx {
            Some(tx) => sql.fetch_all_tx(tx).await?,
            None => sql.fetch_all(&self.st.db).await?,
        };
        let mut found = Vec::new();
        for (member, enc, school) in rows {
            let id = cipher.open_str(super::ID_NUMBER.at(member), &enc)?;
            if id.starts_with(&m.head) && self.schools.iter().any(|s| s.id.0 == school) {
                found.push((id, OrgUnitId(school)));
            }
        }
        let fe = FieldError::new("id_number", domain::text::ID_CHARS);
        let bad = row_error(&self.columns, &self.headers, m.row, &fe);
        let [(id, school)] = found.as_slice() else {
            return Ok(Err(bad));
        };
        let mut input = m.input.clone();
        input.id_number = id.clone();
        let Ok(draft) = input.parse_row(self.opts.today).draft else {
            return Ok(Err(bad));
        };
        let Some(s) = self.schools.iter().find(|s| s.id == *school).cloned() else {
            return Ok(Err(bad));
        };
        let idx = cipher.blind_index(Field::IdNumber, draft.id_number.as_str());
        let enc = encode(&cipher, &draft);
        let creation = serde_json::to_string(&draft_changes(None, &draft, None))
            .unwrap_or_else(|_| "{}".into());
        Ok(Ok(Valid {
            row: m.row,
            input,
            draft,
            school: s.id,
            school_name: s.name,
            branch_name: m.branch_name,
            idx,
            enc,
            creation,
        }))
    }

    async fn lookup(
        &mut self,
        idxs: Vec<Vec<u8>>,
    ) -> Result<HashMap<Vec<u8>, Existing>, StoreError> {
        let mut out = HashMap::new();
        for part in idxs.chunks(500) {
            let mut sql = Sql::new(
                "SELECT id, school_union_id, branch_id, name, gender, birth_date, id_number_enc, id_number_idx, phone_enc, post, title, ethnicity, political_status, education, employment_type, join_date, join_date_precision, status FROM member WHERE id_number_idx IN (",
            );
            sql.bind_list(part.iter().map(|i| Arg::Bytes(i.clone())));
            sql.push(") ORDER BY id");
            let rows: Vec<ExistingRow> = match &mut self.tx {
                Some(tx) => sql.fetch_all_tx(tx).await?,
                None => sql.fetch_all(&self.st.db).await?,
            };
            for r in rows {
                let id_number = IdNumber::parse(
                    &self
                        .st
                        .cipher
                        .open_str(super::ID_NUMBER.at(r.id), &r.id_number_enc)?,
                )
                .map_err(|_| StoreError::Other("stored ID number is invalid".into()))?;
                let phone = match &r.phone_enc {
                    Some(p) => {
                        Phone::parse(&self.st.cipher.open_str(super::PHONE.at(r.id), p)?).ok()
                    }
                    None => None,
                };
                let draft = MemberDraft {
                    name: r.name,
                    gender: coded(&r.gender)?,
                    birth_date: r.birth_date,
                    id_number,
                    phone,
                    post: coded(&r.post)?,
                    title: opt_coded(r.title.as_deref())?,
                    ethnicity: r.ethnicity,
                    political_status: opt_coded(r.political_status.as_deref())?,
                    education: opt_coded(r.education.as_deref())?,
                    employment_type: opt_coded(r.employment_type.as_deref())?,
                    join_date: r.join_date,
                    join_date_precision: super::precision(&r.join_date_precision)?,
                    status: coded(&r.status)?,
                };
                out.insert(
                    r.id_number_idx,
                    Existing {
                        id: MemberId(r.id),
                        school: OrgUnitId(r.school_union_id),
                        branch: r.branch_id.map(OrgUnitId),
                        draft,
                    },
                );
            }
        }
        Ok(out)
    }

    /// The branch id for a name in a school: `Some(None)` when it will be created.
    async fn branch(
        &mut self,
        school: OrgUnitId,
        name: &str,
    ) -> Result<Option<OrgUnitId>, StoreError> {
        if !self.branches.contains_key(&school) {
            let mut sql =
                Sql::new("SELECT id, name FROM org_unit WHERE kind = 'branch' AND parent_id = ");
            sql.bind(Arg::I64(school.0)).push(" ORDER BY id");
            let rows: Vec<(i64, String)> = match &mut self.tx {
                Some(tx) => sql.fetch_all_tx(tx).await?,
                None => sql.fetch_all(&self.st.db).await?,
            };
            self.branches.insert(
                school,
                rows.into_iter()
                    .map(|(id, n)| (n, Some(OrgUnitId(id))))
                    .collect(),
            );
        }
        let known = self
            .branches
            .get(&school)
            .and_then(|m| m.get(name))
            .copied();
        match known {
            Some(Some(id)) => Ok(Some(id)),
            Some(None) if !self.writing => Ok(None),
            _ => {
                let school_ref = self.schools.iter().find(|s| s.id == school);
                let school_name = school_ref.map(|s| s.name.clone()).unwrap_or_default();
                if known.is_none() {
                    self.report
                        .new_branches
                        .push((school_name, name.to_string()));
                }
                let id = match (&mut self.tx, self.writing, school_ref) {
                    (Some(tx), true, Some(s)) => {
                        let digest = crate::crypto::token_hash(&format!("{}/{}", s.code, name));
                        let code = format!("{}-{}", s.code, hex::encode(&digest[..4]));
                        let id =
                            insert_unit(tx, Some(school), &NewUnit::branch(code, name.to_string()))
                                .await?;
                        // Its role is a guess from the name until a person confirms it on
                        // the org tree (issue 25).
                        crate::on_tx!(tx, |c| sqlx::query(
                            "UPDATE org_unit SET role_confirmed = FALSE WHERE id = $1"
                        )
                        .bind(id.0)
                        .execute(&mut *c)
                        .await
                        .map(|r| r.rows_affected()))?;
                        Some(id)
                    }
                    _ => None,
                };
                if let Some(m) = self.branches.get_mut(&school) {
                    m.insert(name.to_string(), id);
                }
                Ok(id)
            }
        }
    }

    async fn chunk(&mut self, checked: Checked) -> Result<(), StoreError> {
        self.report.rows += checked.rows;
        self.report.invalid_rows += checked.invalid;
        self.report.pending_rows += checked.pending;
        for e in checked.errors {
            self.error(e);
        }
        for w in checked.warnings {
            self.warning(w);
        }
        for (row, field, value) in checked.questions {
            self.question(row, field, value);
        }
        let mut valid = checked.valid;
        for m in checked.masked {
            match self.unmask(m).await? {
                Ok(v) => valid.push(v),
                Err(e) => {
                    self.report.invalid_rows += 1;
                    self.error(e);
                }
            }
        }
        self.stop_writing_if_needed();
        let existing = self
            .lookup(valid.iter().map(|v| v.idx.clone()).collect())
            .await?;

        let mut creates: Vec<(Valid, Option<OrgUnitId>)> = Vec::new();
        let mut updates: Vec<(
            Valid,
            MemberId,
            Option<OrgUnitId>,
            MemberDraft,
            Changes,
            OrgUnitId,
        )> = Vec::new();
        for v in valid {
            let branch = match &v.branch_name {
                Some(b) => self.branch(v.school, b).await?,
                None => None,
            };
            let school_name = v.school_name.clone();
            let action = match existing.get(&v.idx) {
                None => {
                    self.report.created += 1;
                    let a = RowAction::Create;
                    self.sample(&v, &school_name, a.clone());
                    creates.push((v, branch));
                    continue;
                }
                Some(e) if e.school != v.school => {
                    self.report.invalid_rows += 1;
                    let fe = FieldError::new("id_number", domain::text::MEMBER_OTHER_SCHOOL);
                    let e = row_error(&self.columns, &self.headers, v.row, &fe);
                    self.error(e);
                    self.stop_writing_if_needed();
                    continue;
                }
                Some(e) => {
                    let merged = merge(&e.draft, &v.input, &v.draft);
                    // A branch named in the row replaces the stored one; none keeps it. In a
                    // dry run a branch still to be created has no id yet.
                    let pending_branch = v.branch_name.is_some() && branch.is_none();
                    let new_branch = if v.branch_name.is_some() {
                        branch
                    } else {
                        e.branch
                    };
                    let phone_plain = e.draft.phone.as_ref().map(|p| p.as_str().to_string());
                    let ch = draft_changes(
                        Some((
                            &member_view(e),
                            e.draft.id_number.as_str(),
                            phone_plain.as_deref(),
                        )),
                        &merged,
                        new_branch,
                    );
                    if ch.is_empty() && !pending_branch {
                        self.report.unchanged += 1;
                        RowAction::Unchanged
                    } else {
                        self.report.updated += 1;
                        let mut fields: Vec<String> = ch.0.keys().cloned().collect();
                        if pending_branch && !fields.iter().any(|f| f == "branch_id") {
                            fields.push("branch_id".into());
                        }
                        self.sample(&v, &school_name, RowAction::Update { fields });
                        updates.push((v, e.id, new_branch, merged, ch, e.school));
                        continue;
                    }
                }
            };
            self.sample(&v, &school_name, action);
        }
        if self.writing {
            self.write(creates, updates).await?;
        }
        if let Some(p) = &self.opts.progress {
            (p.0)(self.report.rows);
        }
        Ok(())
    }

    fn sample(&mut self, v: &Valid, school: &str, action: RowAction) {
        self.push_sample(
            v.row,
            &v.draft.name,
            v.draft.id_number.as_str(),
            school,
            action,
        );
    }

    fn push_sample(&mut self, row: u32, name: &str, id: &str, school: &str, action: RowAction) {
        if self.report.sample.len() < SAMPLE_ROWS && action != RowAction::Unchanged {
            self.report.sample.push(PlannedRow {
                row,
                action,
                name: name.to_string(),
                school: school.to_string(),
                id_masked: mask_id_number(id),
            });
        }
    }

    #[allow(clippy::type_complexity)]
    async fn write(
        &mut self,
        creates: Vec<(Valid, Option<OrgUnitId>)>,
        updates: Vec<(
            Valid,
            MemberId,
            Option<OrgUnitId>,
            MemberDraft,
            Changes,
            OrgUnitId,
        )>,
    ) -> Result<(), StoreError> {
        let Some(tx) = self.tx.as_mut() else {
            return Ok(());
        };
        let cipher = &self.st.cipher;
        let t = now();
        let today = self.opts.today;
        let mut changes: Vec<(i64, OrgUnitId, String, &'static str)> = Vec::new();
        let rows: Vec<super::members::NewMemberRow<'_>> = creates
            .iter()
            .map(|(v, branch)| super::members::NewMemberRow {
                school: v.school,
                branch: *branch,
                draft: &v.draft,
                enc: &v.enc,
                since: super::members::default_since(&v.draft, today),
            })
            .collect();
        let ids = super::members::insert_members(tx, &self.st.cipher, &rows).await?;
        drop(rows);
        let by_idx: HashMap<Vec<u8>, i64> = ids.into_iter().map(|(id, idx)| (idx, id)).collect();
        for (v, branch) in creates.iter() {
            let id = by_idx
                .get(&v.idx)
                .copied()
                .ok_or_else(|| StoreError::Other("insert lost a row".into()))?;
            let mut json = v.creation.clone();
            if let Some(b) = branch {
                // The branch is known only now: add it to the serialised map.
                json.pop();
                if json.len() > 1 {
                    json.push(',');
                }
                json.push_str(&format!("\"branch_id\":[null,{}]}}", b.0));
            }
            changes.push((id, v.school, json, "member.create"));
        }
        for (v, id, branch, merged, ch, school) in updates {
            super::members::write_update(tx, cipher, id, branch, &merged).await?;
            if ch.0.contains_key("status") {
                super::members::ensure_initial_history(tx, id).await?;
                crate::on_tx!(tx, |c| sqlx::query(
                    "UPDATE member SET status = $1, status_since = $2 WHERE id = $3"
                )
                .bind(merged.status.code())
                .bind(today)
                .bind(id.0)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
                crate::on_tx!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO member_status_history (member_id, status, since, note, recorded_at, recorded_by) VALUES ($1, $2, $3, NULL, $4, $5)"
                )
                .bind(id.0)
                .bind(merged.status.code())
                .bind(today)
                .bind(t)
                .bind(self.who.account.map(|a| a.0))
                .execute(&mut *c)
                .await.map(|r| r.rows_affected())
                })?;
            }
            let _ = v.row;
            changes.push((
                id.0,
                school,
                serde_json::to_string(&ch).unwrap_or_else(|_| "{}".into()),
                "member.update",
            ));
        }
        let events: Vec<audit::JsonEvent<'_>> = changes
            .into_iter()
            .map(|(id, school, changes, action)| audit::JsonEvent {
                action,
                entity_type: "member",
                entity_id: Some(id),
                org_unit: Some(school),
                changes,
            })
            .collect();
        audit::append_json(tx, cipher, self.who, events).await
    }

    async fn finish(mut self) -> Result<ImportReport, ImportError> {
        let mut report = std::mem::take(&mut self.report);
        let Some(mut tx) = self.tx.take() else {
            return Ok(report);
        };
        if self.opts.mode == ImportMode::AllOrNothing
            && (report.invalid_rows > 0 || report.pending_rows > 0)
        {
            // Dropping the transaction rolls back whatever was written before the first
            // bad row was met.
            drop(tx);
            return Ok(report);
        }
        let mut ch = Changes::new();
        ch.note("mode", self.opts.mode.code())
            .note("rows", report.rows)
            .note("created", report.created)
            .note("updated", report.updated)
            .note("unchanged", report.unchanged)
            .note("invalid_rows", report.invalid_rows)
            .note("pending_rows", report.pending_rows);
        audit::append(
            &mut tx,
            &self.st.cipher,
            self.who,
            Event {
                action: "member.import",
                entity_type: "org_unit",
                entity_id: Some(self.opts.target.0),
                org_unit: Some(self.opts.target),
                changes: &ch,
            },
        )
        .await?;
        tx.commit().await?;
        report.applied = true;
        Ok(report)
    }
}

/// Fields present in the row win; empty or missing cells keep what is stored.
fn merge(existing: &MemberDraft, input: &MemberInput, row: &MemberDraft) -> MemberDraft {
    let given = |s: &str| !s.trim().is_empty();
    MemberDraft {
        name: row.name.clone(),
        gender: row.gender,
        birth_date: row.birth_date,
        id_number: row.id_number.clone(),
        phone: if given(&input.phone) {
            row.phone.clone()
        } else {
            existing.phone.clone()
        },
        post: row.post,
        title: if given(&input.title) {
            row.title
        } else {
            existing.title
        },
        ethnicity: if given(&input.ethnicity) {
            row.ethnicity.clone()
        } else {
            existing.ethnicity.clone()
        },
        political_status: if given(&input.political_status) {
            row.political_status
        } else {
            existing.political_status
        },
        education: if given(&input.education) {
            row.education
        } else {
            existing.education
        },
        employment_type: if given(&input.employment_type) {
            row.employment_type
        } else {
            existing.employment_type
        },
        join_date: if given(&input.join_date) {
            row.join_date
        } else {
            existing.join_date
        },
        join_date_precision: if given(&input.join_date) {
            row.join_date_precision
        } else {
            existing.join_date_precision
        },
        status: if given(&input.status) {
            row.status
        } else {
            existing.status
        },
    }
}

/// The stored member in the shape [`draft_changes`] compares against.
fn member_view(e: &Existing) -> super::members::Member {
    let d = &e.draft;
    super::members::Member {
        id: e.id,
        school_union_id: e.school,
        school_name: String::new(),
        branch_id: e.branch,
        branch_name: None,
        name: d.name.clone(),
        gender: d.gender,
        birth_date: d.birth_date,
        id_number_masked: String::new(),
        phone_masked: None,
        post: d.post,
        title: d.title,
        ethnicity: d.ethnicity.clone(),
        political_status: d.political_status,
        education: d.education,
        employment_type: d.employment_type,
        join_date: d.join_date,
        join_date_precision: d.join_date_precision,
        status: d.status,
        status_since: NaiveDate::MIN,
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_headers_are_recognised() {
        assert_eq!(Column::from_header("姓名"), Some(Column::Name));
        assert_eq!(Column::from_header(" 身份证号码 *"), Some(Column::IdNumber));
        assert_eq!(Column::from_header("手机号"), Some(Column::Phone));
        assert_eq!(Column::from_header("入会时间"), Some(Column::JoinDate));
        assert_eq!(Column::from_header("ID Number"), Some(Column::IdNumber));
        assert_eq!(Column::from_header("备注"), None);
    }
}

/// A staged upload between its dry run and its application.
#[derive(Clone, Debug)]
pub struct Batch {
    pub id: domain::ids::ImportId,
    pub target: OrgUnitId,
    pub file_name: String,
    pub status: String,
    pub mode: Option<ImportMode>,
    pub report: ImportReport,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Keeps an uploaded file (encrypted: it holds ID numbers) with its dry-run report.
pub async fn stage_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    who: &Who,
    target: OrgUnitId,
    file_name: &str,
    bytes: &[u8],
    report: &ImportReport,
) -> Result<domain::ids::ImportId, StoreError> {
    let _ = super::units::get_unit(&st.db, cap, target).await?;
    let summary = serde_json::to_string(report).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    // The row's id is taken first: the file is bound to it.
    let id = crate::db::reserve_ids(&mut tx, "import_batch", 1)
        .await?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Other("no id reserved".into()))?;
    let enc = st.cipher.seal(super::IMPORT_FILE.at(id), bytes);
    crate::on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO import_batch (id, account_id, target_unit_id, file_name, file_enc, status, mode, summary, created_at) VALUES ($7, $1, $2, $3, $4, 'staged', NULL, $5, $6)"
    )
    .bind(who.account.map(|a| a.0))
    .bind(target.0)
    .bind(file_name)
    .bind(&enc)
    .bind(&summary)
    .bind(now())
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(domain::ids::ImportId(id))
}

/// A batch of the same account (uploads are private to the person who made them).
pub async fn get_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
) -> Result<Batch, StoreError> {
    let row: Option<(
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    )> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, target_unit_id, file_name, status, mode, summary, created_at FROM import_batch WHERE id = $1 AND account_id = $2"
    )
    .bind(id.0)
    .bind(cap.account().0)
    .fetch_optional(p)
    .await
    })?;
    let (id, target, file_name, status, mode, summary, created_at) =
        row.ok_or(StoreError::NotFound)?;
    let report = summary
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    Ok(Batch {
        id: domain::ids::ImportId(id),
        target: OrgUnitId(target),
        file_name,
        status,
        mode: mode.as_deref().and_then(ImportMode::from_code),
        report,
        created_at,
    })
}

/// The staged file, decrypted.
pub async fn batch_file(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
) -> Result<Vec<u8>, StoreError> {
    let enc: Option<Option<Vec<u8>>> = crate::on_db!(&st.db, |p| {
        sqlx::query_scalar(
        "SELECT file_enc FROM import_batch WHERE id = $1 AND account_id = $2 AND status IN ('staged', 'running')"
    )
    .bind(id.0)
    .bind(cap.account().0)
    .fetch_optional(p)
    .await
    })?;
    let enc = enc.flatten().ok_or(StoreError::NotFound)?;
    Ok(st.cipher.open(super::IMPORT_FILE.at(id.0), &enc)?)
}

/// Records the outcome; an applied batch drops its file.
pub async fn finish_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
    mode: ImportMode,
    report: &ImportReport,
) -> Result<(), StoreError> {
    let summary = serde_json::to_string(report).map_err(|e| StoreError::Other(e.to_string()))?;
    let status = if report.applied { "applied" } else { "staged" };
    crate::on_db!(&st.db, |p| sqlx::query(
        "UPDATE import_batch SET status = $1, mode = $2, summary = $3, applied_at = $4,
                file_enc = CASE WHEN $1 = 'applied' THEN NULL ELSE file_enc END
         WHERE id = $5 AND account_id = $6"
    )
    .bind(status)
    .bind(mode.code())
    .bind(&summary)
    .bind(now())
    .bind(id.0)
    .bind(cap.account().0)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Replaces the dry-run report of a staged batch (after mapping answers changed it).
pub async fn restage_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
    report: &ImportReport,
) -> Result<(), StoreError> {
    let summary = serde_json::to_string(report).map_err(|e| StoreError::Other(e.to_string()))?;
    crate::on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE import_batch SET summary = $1 WHERE id = $2 AND account_id = $3 AND status = 'staged'"
    )
    .bind(&summary)
    .bind(id.0)
    .bind(cap.account().0)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Marks a staged batch as being applied; false when it is not staged (applied, running
/// elsewhere, discarded), so that two clicks or two servers never apply it twice.
pub async fn claim_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
) -> Result<bool, StoreError> {
    let n = crate::on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE import_batch SET status = 'running' WHERE id = $1 AND account_id = $2 AND status = 'staged'"
    )
    .bind(id.0)
    .bind(cap.account().0)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Puts a batch whose application failed back to staged.
pub async fn release_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
) -> Result<(), StoreError> {
    crate::on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE import_batch SET status = 'staged' WHERE id = $1 AND account_id = $2 AND status = 'running'"
    )
    .bind(id.0)
    .bind(cap.account().0)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Drops a staged file without applying it.
pub async fn discard_batch(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    id: domain::ids::ImportId,
) -> Result<(), StoreError> {
    let n = crate::on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE import_batch SET status = 'discarded', file_enc = NULL WHERE id = $1 AND account_id = $2 AND status = 'staged'"
    )
    .bind(id.0)
    .bind(cap.account().0)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
