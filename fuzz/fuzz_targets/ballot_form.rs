//! A ballot form as the browser posts it (`choice`, `m<option>` marks, `w<n>` write-ins,
//! URL-encoded), read as the ballot page reads it and checked against a motion, an
//! election and a cadre review; a stored ballot read back; the tellers' paper sheet.
//! Nothing panics; a ballot that passes the check never gives more votes for than seats,
//! and survives its stored form unchanged.
#![no_main]

use domain::ids::MemberId;
use domain::voting::{
    Ballot, BallotInput, BallotSpec, OptionId, PaperInput, PollKind, Tally, check_ballot,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&seats, form)) = data.split_first() else {
        return;
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(form)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let options: Vec<OptionId> = (1..=6).map(OptionId).collect();
    let choice = get("choice");
    let mut input = BallotInput {
        choice: (!choice.is_empty()).then_some(choice),
        ..BallotInput::default()
    };
    for o in &options {
        let v = get(&format!("m{}", o.0));
        if !v.is_empty() {
            input.marks.push((*o, v));
        }
    }
    // A mark for an option the poll does not have, as a forged form would send.
    if let Some((k, v)) = fields.iter().find(|(k, _)| k.starts_with('x')) {
        input.marks.push((OptionId(k.len() as i64 + 100), v.clone()));
    }
    for i in 0..3 {
        if let Ok(n) = get(&format!("w{i}")).trim().parse::<i64>() {
            input.write_ins.push(MemberId(n));
        }
    }
    let seats = u32::from(seats % 8);
    for kind in [PollKind::Motion, PollKind::Election, PollKind::CadreReview] {
        let spec = BallotSpec {
            kind,
            seats,
            options: options.clone(),
        };
        if let Ok(b) = check_ballot(&spec, &input, &[MemberId(1), MemberId(2)]) {
            if let Ballot::Election { m, w } = &b {
                let votes_for = m
                    .iter()
                    .filter(|(_, k)| *k == domain::voting::Mark::For)
                    .count()
                    + w.len();
                assert!(votes_for <= seats as usize);
            }
            assert_eq!(Ballot::decode(&b.encode()), Some(b.clone()));
            let mut t = Tally::default();
            t.add(&b);
            assert_eq!(t.ballots, 1);
        }
        let paper = PaperInput {
            issued: get("issued"),
            returned: get("returned"),
            valid: get("valid"),
            invalid: get("invalid"),
            yes: get("yes"),
            no: get("no"),
            abstain: get("abstain"),
            options: options
                .iter()
                .map(|o| {
                    let c = |g: usize| get(&format!("p{}_{g}", o.0));
                    (*o, [c(0), c(1), c(2), c(3)])
                })
                .collect(),
            write_ins: Vec::new(),
        };
        let _ = paper.parse(&spec);
    }
    // A stored ballot of any text: decoded or refused, never a panic.
    if let Ok(s) = std::str::from_utf8(form)
        && let Some(b) = Ballot::decode(s)
    {
        assert_eq!(Ballot::decode(&b.encode()), Some(b));
    }
});
