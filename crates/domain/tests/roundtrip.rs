//! Round trips of the value types people type (issue 24), as properties: what is shown or
//! stored parses back to the same value, in every written form offices use — ID numbers
//! (spaces, a lower-case x), roster dates (a day in six forms, a month alone as `2003.06`,
//! full-width digits), days, phones, money in yuan and fen, and a ballot through its stored
//! form. The fuzz targets (`fuzz/`) check the same on arbitrary input; these check that
//! the good inputs are all accepted.

use chrono::{Datelike, NaiveDate};
use domain::ids::MemberId;
use domain::org::{Coded, IdNumber, Phone, parse_date};
use domain::roster::{DatePrecision, parse_roster_date};
use domain::voting::{Ballot, Grade, Mark, MotionChoice, OptionId};
use proptest::prelude::*;

/// Full-width digits and punctuation, as a Chinese input method types them.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | '.' | '-' | '/' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            c => c,
        })
        .collect()
}

fn a_day() -> impl Strategy<Value = NaiveDate> {
    (1900i32..=2100, 1u32..=12, 1u32..=31).prop_filter_map("a day that exists", |(y, m, d)| {
        NaiveDate::from_ymd_opt(y, m, d)
    })
}

const PROVINCES: [u32; 8] = [11, 31, 33, 44, 51, 65, 71, 81];

fn an_id_number() -> impl Strategy<Value = (String, NaiveDate)> {
    (
        proptest::sample::select(&PROVINCES[..]),
        0u32..10_000,
        a_day(),
        0u32..1000,
    )
        .prop_map(|(p, area, birth, seq)| {
            let body = format!("{p:02}{area:04}{}{seq:03}", birth.format("%Y%m%d"));
            let id = format!("{body}{}", IdNumber::check_char(&body));
            (id, birth)
        })
}

proptest! {
    #[test]
    fn an_id_number_parses_back_to_itself_with_its_birth_date_however_it_is_spaced((id, birth) in an_id_number()) {
        let parsed = IdNumber::parse(&id).unwrap();
        prop_assert_eq!(parsed.as_str(), id.as_str());
        prop_assert_eq!(parsed.birth_date(), Some(birth));
        prop_assert_eq!(parsed.tail(), &id[14..]);
        let spaced = format!(" {} {} {} ", &id[..6], &id[6..14], id[14..].to_lowercase());
        prop_assert_eq!(IdNumber::parse(&spaced).unwrap(), parsed);
    }

    #[test]
    fn an_id_number_with_another_check_character_is_refused((id, _) in an_id_number(), other in 0usize..11) {
        let c = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][other];
        prop_assume!(!id.ends_with(c));
        let wrong = format!("{}{c}", &id[..17]);
        prop_assert!(IdNumber::parse(&wrong).is_err());
    }

    #[test]
    fn a_day_in_every_written_form_is_the_same_day(d in a_day()) {
        let forms = [
            d.format("%Y-%m-%d").to_string(),
            d.format("%Y/%-m/%-d").to_string(),
            d.format("%Y.%m.%d").to_string(),
            d.format("%Y年%-m月%-d日").to_string(),
            d.format("%Y%m%d").to_string(),
            format!("{} 00:00:00", d.format("%Y-%m-%d")),
        ];
        for f in forms {
            let r = parse_roster_date("d", &f).unwrap();
            prop_assert_eq!(r.date, d, "{}", f);
            prop_assert_eq!(r.precision, DatePrecision::Day);
            prop_assert_eq!(parse_roster_date("d", &r.display()).unwrap(), r);
            prop_assert_eq!(parse_date("d", &full_width(&f)).unwrap(), d, "full width {}", full_width(&f));
        }
    }

    #[test]
    fn a_month_alone_is_kept_as_a_month_in_every_written_form(y in 1900i32..=2100, m in 1u32..=12) {
        let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        for f in [format!("{y}.{m:02}"), format!("{y}.{m}"), format!("{y}-{m:02}"), format!("{y}/{m:02}"), format!("{y}年{m}月"), format!("{y}{m:02}")] {
            for g in [f.clone(), full_width(&f)] {
                let r = parse_roster_date("d", &g).unwrap();
                prop_assert_eq!(r.date, first, "{}", g);
                prop_assert_eq!(r.precision, DatePrecision::Month, "{}", g);
                prop_assert_eq!(r.display(), format!("{y}-{m:02}"));
                prop_assert_eq!(parse_roster_date("d", &r.display()).unwrap(), r);
                // A month is not a day: the fields that need a day refuse it.
                prop_assert!(parse_date("d", &g).is_err());
            }
        }
    }

    #[test]
    fn an_excel_serial_is_the_day_excel_shows(d in a_day()) {
        prop_assume!(d >= NaiveDate::from_ymd_opt(1900, 3, 1).unwrap() && d.year() < 2100);
        let serial = (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
        prop_assume!(serial <= 99_999);
        prop_assert_eq!(parse_date("d", &serial.to_string()).unwrap(), d);
    }

    #[test]
    fn a_mobile_number_parses_back_to_itself_however_it_is_written(second in 3u8..=9, rest in 0u64..1_000_000_000) {
        let n = format!("1{second}{rest:09}");
        let p = Phone::parse(&n).unwrap();
        prop_assert_eq!(p.as_str(), n.as_str());
        for f in [format!("+86{n}"), format!("86{n}"), format!("{} {} {}", &n[..3], &n[3..7], &n[7..]), format!("{}-{}-{}", &n[..3], &n[3..7], &n[7..])] {
            prop_assert_eq!(Phone::parse(&f).unwrap(), p.clone(), "{}", f);
        }
    }

    #[test]
    fn money_in_fen_goes_to_yuan_and_back(fen in 0i64..100_000_000_000) {
        let y = domain::funds::yuan(fen);
        prop_assert_eq!(domain::funds::parse_fen("a", &y, false).unwrap(), fen);
        prop_assert_eq!(domain::funds::parse_fen("a", &format!("¥{}", full_width(&y)), false).unwrap(), fen);
        // With thousands separators, as Excel shows it.
        let (int, frac) = y.split_once('.').unwrap();
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        prop_assert_eq!(domain::funds::parse_fen("a", &format!("{grouped}.{frac}元"), false).unwrap(), fen);
    }

    #[test]
    fn a_ballot_survives_its_stored_form(
        kind in 0u8..3,
        choice in 0usize..3,
        marks in proptest::collection::btree_map(1i64..50, 0usize..4, 0..8),
        write_ins in proptest::collection::btree_set(1i64..500, 0..3),
    ) {
        let b = match kind {
            0 => Ballot::Motion { c: MotionChoice::all()[choice] },
            1 => Ballot::Election {
                m: marks.iter().map(|(o, k)| (OptionId(*o), Mark::all()[*k % 3])).collect(),
                w: write_ins.iter().map(|m| MemberId(*m)).collect(),
            },
            _ => Ballot::Review {
                g: marks.iter().map(|(o, k)| (OptionId(*o), Grade::all()[*k])).collect(),
            },
        };
        prop_assert_eq!(Ballot::decode(&b.encode()), Some(b.clone()));
        prop_assert!(b.encode().len() < 2048);
    }
}
