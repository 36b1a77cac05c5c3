//! A school's own 花名册 as offices type it (issue 13), generated: a title row, Chinese
//! headers in an unusual order with extra columns, every date form as text and as number
//! cells, full-width digits in phones and ID numbers, a lower-case check character, padded
//! names, synonyms of every coded column, retirees, one value no table names (to map), and
//! exactly four planted bad rows. Written as .xlsx, GB18030 CSV and UTF-8-BOM CSV here;
//! `crates/store/tests/fixtures/school_roster.xls` is the same roster as .xls (made by
//! `make_xls.py` from [`roster_json`]).

use crate::fixtures::id_number;

/// A cell as a spreadsheet holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A date cell (a serial with a date format).
    Date(i32, u32, u32),
    Empty,
}

pub struct Roster {
    /// Every row of the sheet, the title and header rows included.
    pub rows: Vec<Vec<Cell>>,
    /// Sheet rows (1-based) of the planted bad rows.
    pub bad_rows: Vec<u32>,
    /// Rows that become members once the question is answered.
    pub good_rows: u64,
    /// The value no table names: (field, value, rows holding it).
    pub question: (&'static str, &'static str, u64),
    /// The ID number of the first good row (duplicated by a bad row).
    pub first_id: String,
}

/// The value to map and its answer.
pub const UNKNOWN_POST: &str = "宿管员";
pub const UNKNOWN_POST_ANSWER: &str = "worker";

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// Full-width digits and letters, as typed with a Chinese input method.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 - 0x20 + 0xFF00).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

const HEADER: [&str; 15] = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生年月",
    "政治面貌",
    "身份证号码",
    "联系电话",
    "岗位",
    "职称",
    "学历",
    "参加工作时间",
    "入会时间",
    "人员状态",
    "备注",
];

/// Join dates: every form of 2003-06-05 or of June 2003, as text and as number cells.
fn join_cell(i: usize) -> Cell {
    let forms: [Cell; 15] = [
        t("2003-06-05"),
        t("2003/6/5"),
        t("2003.6.5"),
        t("2003年6月5日"),
        t("２００３年６月５日"),
        t("2003.06"),
        t("2003.6"),
        t("2003-06"),
        t("2003/06"),
        t("2003年6月"),
        t("200306"),
        Cell::Number(37778.0),
        Cell::Number(2003.06),
        Cell::Number(200306.0),
        Cell::Date(2003, 6, 5),
    ];
    forms[i % forms.len()].clone()
}

/// The generated roster: 60 good rows (3 of them waiting for the answer to one question)
/// and 4 bad ones.
pub fn school_roster() -> Roster {
    let posts = [
        "专任教师",
        "行政人员",
        "教辅人员",
        "工勤人员",
        "校领导",
        "校办企业职工",
        "教辅职员",
        "教师",
    ];
    let titles = [
        "中学高级",
        "小学高级",
        "正高级",
        "一级",
        "二级",
        "三级",
        "高级教师",
        "中学一级",
        "",
    ];
    let educations = ["大学本科", "研究生", "大专", "硕士研究生", "本科", "中专"];
    let politics = [
        "中共党员",
        "群众",
        "共青团员",
        "九三学社社员",
        "无党派人士",
        "中国共产党党员",
    ];
    let ethnicities = ["汉族", "汉", "回族", "满", "蒙古族", "维族"];
    let mut rows = vec![
        vec![t("某某中学教职工花名册（2026年11月）")],
        HEADER.iter().map(|h| t(*h)).collect(),
    ];
    let mut first_id = String::new();
    let mut seq = 0u32;
    let mut push_good = |rows: &mut Vec<Vec<Cell>>, i: usize, post: &str| {
        let n = 100 + i as u32;
        let male = i.is_multiple_of(2);
        let id = id_number(n, male);
        if first_id.is_empty() {
            first_id = id.clone();
        }
        let birth = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default()
            + chrono::Duration::days(i64::from(n % 9000));
        let id_cell = match i % 4 {
            0 => t(full_width(&id)),
            1 => t(id.to_lowercase()),
            2 => t(format!(" {} {} ", &id[..6], &id[6..])),
            _ => t(id.clone()),
        };
        let phone = format!("139{:08}", n);
        let phone_cell = match i % 3 {
            0 => t(full_width(&phone)),
            1 => t(format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..])),
            _ => Cell::Number(phone.parse::<f64>().unwrap_or(0.0)),
        };
        let birth_cell = match i % 5 {
            0 => t(birth.format("%Y.%m").to_string()),
            1 => Cell::Number(
                format!("{}.{}", birth.format("%Y"), birth.format("%m"))
                    .parse()
                    .unwrap_or(0.0),
            ),
            2 => t(birth.format("%Y年%-m月%-d日").to_string()),
            3 => Cell::Empty,
            _ => t(birth.format("%Y%m").to_string()),
        };
        let gender = match i % 3 {
            0 => Cell::Empty,
            1 => t(if male { "男" } else { "女" }),
            _ => t(if male { "男性" } else { "女性" }),
        };
        let name = if i.is_multiple_of(7) {
            t(format!(
                "张　{}",
                char::from_u32(0x4E00 + i as u32 * 7).unwrap_or('一')
            ))
        } else {
            t(format!("教工{i:02}"))
        };
        seq += 1;
        rows.push(vec![
            Cell::Number(f64::from(seq)),
            name,
            gender,
            t(ethnicities[i % ethnicities.len()]),
            birth_cell,
            t(politics[i % politics.len()]),
            id_cell,
            phone_cell,
            t(post),
            t(titles[i % titles.len()]),
            t(educations[i % educations.len()]),
            t("2002年9月"),
            join_cell(i),
            t(if i % 10 == 9 { "退休" } else { "在职" }),
            t(if i.is_multiple_of(6) { "借调" } else { "" }),
        ]);
    };
    for i in 0..30 {
        push_good(&mut rows, i, posts[i % posts.len()]);
    }
    // Bad 1: a date that does not exist.
    let bad_date = rows.len() as u32 + 1;
    rows.push(vec![
        Cell::Number(0.0),
        t("日期错"),
        Cell::Empty,
        t("汉族"),
        Cell::Empty,
        t("群众"),
        t(id_number(3900, true)),
        Cell::Empty,
        t("专任教师"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        t("1999年2月30日"),
        t("在职"),
        Cell::Empty,
    ]);
    for i in 30..45 {
        let post = if i % 5 == 0 {
            UNKNOWN_POST
        } else {
            posts[i % posts.len()]
        };
        push_good(&mut rows, i, post);
    }
    // Bad 2: a wrong check character.
    let bad_check = rows.len() as u32 + 1;
    let mut wrong = id_number(3901, false);
    let last = if wrong.ends_with('1') { "2" } else { "1" };
    wrong.replace_range(17..18, last);
    rows.push(vec![
        Cell::Number(0.0),
        t("号码错"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        t(wrong),
        Cell::Empty,
        t("教师"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    for i in 45..60 {
        push_good(&mut rows, i, posts[i % posts.len()]);
    }
    // Bad 3: the first row's ID number again, with the wrong gender too: both are named.
    let bad_dup = rows.len() as u32 + 1;
    rows.push(vec![
        Cell::Number(0.0),
        t("重复者"),
        t("女"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        t(id_number(100, true)),
        Cell::Empty,
        t("教师"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    // Bad 4: a phone one digit short.
    let bad_phone = rows.len() as u32 + 1;
    rows.push(vec![
        Cell::Number(0.0),
        t("电话错"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        t(id_number(3902, true)),
        t("1381234567"),
        t("教师"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    Roster {
        rows,
        bad_rows: vec![bad_date, bad_check, bad_dup, bad_phone],
        good_rows: 60,
        question: ("post", UNKNOWN_POST, 3),
        first_id,
    }
}

/// The roster as .xlsx, number and date cells as such.
pub fn roster_xlsx(r: &Roster) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (ri, row) in r.rows.iter().enumerate() {
        for (ci, c) in row.iter().enumerate() {
            let (ri, ci) = (ri as u32, ci as u16);
            let _ = match c {
                Cell::Text(s) => ws.write_string(ri, ci, s).map(|_| ()),
                Cell::Number(f) => ws.write_number(ri, ci, *f).map(|_| ()),
                Cell::Date(y, m, d) => {
                    match rust_xlsxwriter::ExcelDateTime::from_ymd(*y as u16, *m as u8, *d as u8) {
                        Ok(dt) => ws
                            .write_datetime_with_format(ri, ci, &dt, &date)
                            .map(|_| ()),
                        Err(e) => Err(e),
                    }
                }
                Cell::Empty => Ok(()),
            };
        }
    }
    wb.save_to_buffer().unwrap_or_default()
}

fn csv_text(r: &Roster) -> String {
    let mut out = String::new();
    for row in &r.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(f) => f.to_string(),
                // What Chinese Excel writes for a date cell saved as CSV.
                Cell::Date(y, m, d) => format!("{y}/{m}/{d}"),
                Cell::Empty => String::new(),
            })
            .map(|s| {
                if s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The roster as Chinese Excel saves "CSV": GB18030.
pub fn roster_csv_gb18030(r: &Roster) -> Vec<u8> {
    encoding_rs::GB18030.encode(&csv_text(r)).0.into_owned()
}

/// The roster as "CSV UTF-8": with a byte-order mark.
pub fn roster_csv_utf8_bom(r: &Roster) -> Vec<u8> {
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice(csv_text(r).as_bytes());
    b
}

/// The roster as JSON (`[[["t","…"],["n",1.0],["d",[y,m,d]],["e"]], …]`) for `make_xls.py`.
pub fn roster_json(r: &Roster) -> String {
    let rows: Vec<Vec<serde_json::Value>> = r
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Cell::Text(s) => serde_json::json!(["t", s]),
                    Cell::Number(f) => serde_json::json!(["n", f]),
                    Cell::Date(y, m, d) => serde_json::json!(["d", [y, m, d]]),
                    Cell::Empty => serde_json::json!(["e"]),
                })
                .collect()
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_default()
}
