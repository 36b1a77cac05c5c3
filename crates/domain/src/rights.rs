//! Rights protection (维权) as the domain sees it: questionnaires (问卷调查, `survey`) — their
//! questions typed one a line, the answers a member fills in checked against them, and the
//! results added up.
//!
//! A survey is anonymous or named. Anonymity is a storage property (the store keeps who has
//! answered apart from what was answered); this module only guarantees that an answer, as
//! encoded here, holds nothing but the choices and texts typed: no person, no time.
//!
//! This module does no IO and never formats text for people (catalogue keys only).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{parse_date, required_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Catalogue keys of this area's messages.
pub mod text {
    macro_rules! keys {
        ($($name:ident = $key:literal),* $(,)?) => {
            $(pub const $name: &str = $key;)*
            /// Every key defined in this module.
            pub const ALL: &[&str] = &[$($key),*];
        };
    }
    keys! {
        QUESTIONS_EMPTY = "rights-questions-empty",
        QUESTIONS_TOO_MANY = "rights-questions-too-many",
        QUESTION_LINE = "rights-question-line",
        QUESTION_OPTIONS = "rights-question-options",
        QUESTION_SCALE = "rights-question-scale",
        CLOSES_PAST = "rights-closes-past",
        ANSWER_REQUIRED = "rights-answer-required",
        ANSWER_CHOICE = "rights-answer-choice",
        ANSWER_SCALE = "rights-answer-scale",
        ANSWER_TOO_LONG = "rights-answer-too-long",
        ANSWER_ONE = "rights-answer-one",
        NOT_OPEN = "rights-survey-not-open",
        ALREADY = "rights-survey-already",
        NOT_DRAFT = "rights-survey-not-draft",
        SEALED = "rights-survey-sealed",
        NOT_MEMBER = "rights-survey-not-member",
        RECEIVED_FUTURE = "rights-petition-received-future",
        PHONE_INVALID = "rights-petition-phone-invalid",
        PETITION_STEP = "rights-petition-step",
    }
}

use text as t;

crate::kit::id_types!(SurveyId);

coded!(
    /// Where a survey is in its life: drafted, open for answers, closed.
    SurveyStatus, "survey-status", {
    Draft = "draft" ["草稿"],
    Open = "open" ["进行中"],
    Closed = "closed" ["已结束"],
});

coded!(
    /// The kind of a question.
    QuestionKind, "survey-question-kind", {
    Single = "single" ["单选"],
    Multiple = "multiple" ["多选"],
    Scale = "scale" ["量表"],
    ShortText = "short_text" ["填空"],
    LongText = "long_text" ["问答"],
});

pub const TITLE_MAX: usize = 100;
pub const INTRO_MAX: usize = 1000;
pub const QUESTIONS_MAX: usize = 60;
pub const QUESTION_MAX: usize = 200;
pub const OPTION_MAX: usize = 60;
pub const OPTIONS_MAX: usize = 20;
pub const SHORT_MAX: usize = 100;
pub const LONG_MAX: usize = 2000;

/// One question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub text: String,
    pub required: bool,
    /// The choices of a single or multiple choice question.
    #[serde(default)]
    pub options: Vec<String>,
    /// The lowest and highest point of a scale.
    #[serde(default)]
    pub scale: (i64, i64),
}

/// Parses the questions as typed, one a line:
///
/// ```text
/// * single: 您对本校教代会工作是否满意？ | 满意 | 基本满意 | 不满意
/// multiple: 您最关心哪些权益？ | 工资待遇 | 职称评聘 | 休息休假
/// * scale 1-5: 您对学校民主管理的评价
/// short: 您的学科
/// long: 您的意见和建议
/// ```
///
/// A leading `*` marks a required question. Every error names its line.
pub fn parse_questions(field: &'static str, input: &str) -> Result<Vec<Question>, FieldError> {
    let mut out = Vec::new();
    for (n, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || FieldError::new(field, t::QUESTION_LINE).arg("line", n + 1);
        let (required, line) = match line.strip_prefix('*').or_else(|| line.strip_prefix('＊')) {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let (head, rest) = line
            .split_once(':')
            .or_else(|| line.split_once('：'))
            .ok_or_else(bad)?;
        let mut parts = rest.split(['|', '｜']).map(str::trim);
        let text = parts.next().unwrap_or("").to_string();
        if text.is_empty() || text.chars().count() > QUESTION_MAX {
            return Err(bad());
        }
        let head = head.trim().to_lowercase();
        let mut words = head.split_whitespace();
        let kind = match words.next() {
            Some("single" | "单选") => QuestionKind::Single,
            Some("multiple" | "多选") => QuestionKind::Multiple,
            Some("scale" | "量表") => QuestionKind::Scale,
            Some("short" | "填空") => QuestionKind::ShortText,
            Some("long" | "问答") => QuestionKind::LongText,
            _ => return Err(bad()),
        };
        let mut q = Question {
            kind,
            text,
            required,
            options: Vec::new(),
            scale: (0, 0),
        };
        match kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                q.options = parts
                    .by_ref()
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                let distinct: std::collections::HashSet<&String> = q.options.iter().collect();
                if q.options.len() < 2
                    || q.options.len() > OPTIONS_MAX
                    || distinct.len() != q.options.len()
                    || q.options.iter().any(|o| o.chars().count() > OPTION_MAX)
                {
                    return Err(FieldError::new(field, t::QUESTION_OPTIONS).arg("line", n + 1));
                }
            }
            QuestionKind::Scale => {
                let range = words.next().unwrap_or("1-5");
                let scale = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
                    .filter(|(a, b)| a < b && *a >= 0 && *b <= 10);
                q.scale = scale
                    .ok_or_else(|| FieldError::new(field, t::QUESTION_SCALE).arg("line", n + 1))?;
            }
            QuestionKind::ShortText | QuestionKind::LongText => {}
        }
        if !matches!(kind, QuestionKind::Single | QuestionKind::Multiple) && parts.next().is_some()
        {
            return Err(bad());
        }
        out.push(q);
    }
    if out.is_empty() {
        return Err(FieldError::new(field, t::QUESTIONS_EMPTY));
    }
    if out.len() > QUESTIONS_MAX {
        return Err(FieldError::new(field, t::QUESTIONS_TOO_MANY).arg("max", QUESTIONS_MAX));
    }
    Ok(out)
}

/// The questions written back in the form they are typed (for the form's re-display).
pub fn questions_text(qs: &[Question]) -> String {
    qs.iter()
        .map(|q| {
            let star = if q.required { "* " } else { "" };
            match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => format!(
                    "{star}{}: {} | {}",
                    if q.kind == QuestionKind::Single {
                        "single"
                    } else {
                        "multiple"
                    },
                    q.text,
                    q.options.join(" | ")
                ),
                QuestionKind::Scale => {
                    format!("{star}scale {}-{}: {}", q.scale.0, q.scale.1, q.text)
                }
                QuestionKind::ShortText => format!("{star}short: {}", q.text),
                QuestionKind::LongText => format!("{star}long: {}", q.text),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A survey as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    pub unit: String,
    pub title: String,
    pub intro: String,
    /// `on` when anonymous (a checkbox).
    pub anonymous: String,
    pub closes_on: String,
    pub questions: String,
}

/// A parsed survey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyDraft {
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    pub closes_on: NaiveDate,
    pub questions: Vec<Question>,
}

impl SurveyInput {
    /// Every error at its field; a closing date before `today` is refused.
    pub fn parse(&self, today: NaiveDate) -> Result<SurveyDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = e.take(required_text("title", &self.title, TITLE_MAX));
        let intro = e.take(crate::org::optional_text("intro", &self.intro, INTRO_MAX));
        let closes_on = e.take(parse_date("closes_on", &self.closes_on));
        if let Some(d) = closes_on
            && d < today
        {
            e.push(FieldError::new("closes_on", t::CLOSES_PAST));
        }
        let questions = e.take(parse_questions("questions", &self.questions));
        match (title, intro, closes_on, questions) {
            (Some(title), Some(intro), Some(closes_on), Some(questions)) if e.is_empty() => {
                Ok(SurveyDraft {
                    title,
                    intro: intro.unwrap_or_default(),
                    anonymous: matches!(self.anonymous.as_str(), "on" | "true" | "1"),
                    closes_on,
                    questions,
                })
            }
            _ => Err(e),
        }
    }
}

/// One question's answer. Encoded without any name, time or position other than the
/// question's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", content = "v")]
pub enum Answer {
    /// Left empty (an optional question).
    #[serde(rename = "n")]
    None,
    /// The chosen options' indexes (one for a single choice), ascending.
    #[serde(rename = "c")]
    Choice(Vec<u16>),
    #[serde(rename = "s")]
    Scale(i64),
    #[serde(rename = "t")]
    Text(String),
}

/// The field name of question `i` in the answer form.
pub fn field_of(i: usize) -> String {
    format!("q{i}")
}

/// Checks the answer form (pairs as posted; a multiple choice repeats its field) against
/// the questions. Every error at its question's field (`q0`, `q1`, …).
pub fn check_answers(
    qs: &[Question],
    form: &[(String, String)],
) -> Result<Vec<Answer>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut out = Vec::with_capacity(qs.len());
    // Field names are 'static in FieldError: question fields are limited by QUESTIONS_MAX.
    const FIELDS: [&str; QUESTIONS_MAX] = [
        "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
        "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22", "q23", "q24", "q25", "q26",
        "q27", "q28", "q29", "q30", "q31", "q32", "q33", "q34", "q35", "q36", "q37", "q38", "q39",
        "q40", "q41", "q42", "q43", "q44", "q45", "q46", "q47", "q48", "q49", "q50", "q51", "q52",
        "q53", "q54", "q55", "q56", "q57", "q58", "q59",
    ];
    for (i, q) in qs.iter().enumerate() {
        let field = FIELDS.get(i).copied().unwrap_or("q");
        let name = field_of(i);
        let values: Vec<&str> = form
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            if q.required {
                errors.push(FieldError::new(field, t::ANSWER_REQUIRED));
            }
            out.push(Answer::None);
            continue;
        }
        let a = match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.kind == QuestionKind::Single && values.len() > 1 {
                    errors.push(FieldError::new(field, t::ANSWER_ONE));
                    continue;
                }
                let mut picked = Vec::new();
                for v in &values {
                    match v
                        .parse::<u16>()
                        .ok()
                        .filter(|n| usize::from(*n) < q.options.len())
                    {
                        Some(n) if !picked.contains(&n) => picked.push(n),
                        Some(_) => {}
                        None => {
                            errors.push(FieldError::new(field, t::ANSWER_CHOICE));
                            break;
                        }
                    }
                }
                picked.sort_unstable();
                Answer::Choice(picked)
            }
            QuestionKind::Scale => {
                let (lo, hi) = q.scale;
                match values
                    .first()
                    .and_then(|v| v.parse::<i64>().ok())
                    .filter(|v| (lo..=hi).contains(v))
                {
                    Some(v) if values.len() == 1 => Answer::Scale(v),
                    _ => {
                        errors.push(
                            FieldError::new(field, t::ANSWER_SCALE)
                                .arg("min", lo)
                                .arg("max", hi),
                        );
                        continue;
                    }
                }
            }
            QuestionKind::ShortText | QuestionKind::LongText => {
                let max = if q.kind == QuestionKind::ShortText {
                    SHORT_MAX
                } else {
                    LONG_MAX
                };
                let v = values.join(" ");
                if values.len() > 1 || v.chars().count() > max {
                    errors.push(FieldError::new(field, t::ANSWER_TOO_LONG).arg("max", max));
                    continue;
                }
                Answer::Text(v)
            }
        };
        out.push(a);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Encodes one person's answers (compact JSON of the answers only).
pub fn encode(answers: &[Answer]) -> String {
    serde_json::to_string(answers).unwrap_or_else(|_| "[]".into())
}

/// Decodes stored answers.
pub fn decode(s: &str) -> Option<Vec<Answer>> {
    serde_json::from_str(s).ok()
}

/// The result of one question.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuestionResult {
    /// Answers given (not left empty).
    pub answered: i64,
    /// Per option (choices) or per point of the scale, lowest first.
    pub counts: Vec<i64>,
    /// Sum of the points (scale), for the mean.
    pub sum: i64,
    /// Texts typed, sorted (never in the order they arrived).
    pub texts: Vec<String>,
}

impl QuestionResult {
    /// The mean of a scale in hundredths (e.g. 412 = 4.12), when anyone answered.
    pub fn mean_x100(&self) -> Option<i64> {
        (self.answered > 0).then(|| (self.sum * 100 + self.answered / 2) / self.answered)
    }
}

/// Adds up every response (each a person's answers) question by question.
pub fn tally<'a>(
    qs: &[Question],
    responses: impl IntoIterator<Item = &'a Vec<Answer>>,
) -> Vec<QuestionResult> {
    let mut out: Vec<QuestionResult> = qs
        .iter()
        .map(|q| QuestionResult {
            counts: match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => vec![0; q.options.len()],
                QuestionKind::Scale => vec![0; (q.scale.1 - q.scale.0 + 1).max(0) as usize],
                _ => Vec::new(),
            },
            ..QuestionResult::default()
        })
        .collect();
    for r in responses {
        for ((q, res), a) in qs.iter().zip(out.iter_mut()).zip(r.iter()) {
            match a {
                Answer::None => continue,
                Answer::Choice(cs) => {
                    for c in cs {
                        if let Some(n) = res.counts.get_mut(usize::from(*c)) {
                            *n += 1;
                        }
                    }
                }
                Answer::Scale(v) => {
                    if let Some(n) = res.counts.get_mut((v - q.scale.0).max(0) as usize) {
                        *n += 1;
                    }
                    res.sum += v;
                }
                Answer::Text(s) => res.texts.push(s.clone()),
            }
            res.answered += 1;
        }
    }
    for r in &mut out {
        r.texts.sort();
    }
    out
}

crate::kit::id_types!(PetitionId);

coded!(
    /// How a letter or visit (来信来访) reached the union.
    PetitionChannel, "petition-channel", {
    Letter = "letter" ["来信"],
    Visit = "visit" ["来访"],
    Phone = "phone" ["来电"],
    Online = "online" ["网上"],
});

coded!(
    /// What a petition is about.
    PetitionCategory, "petition-category", {
    Pay = "pay" ["工资待遇"],
    Title = "title" ["职称评聘"],
    Contract = "contract" ["劳动合同"],
    Welfare = "welfare" ["福利保障"],
    Management = "management" ["学校管理"],
    Other = "other" ["其他"],
});

coded!(
    /// Where a petition is: received, assigned to an owner, answered, closed.
    PetitionStatus, "petition-status", {
    Received = "received" ["已登记"],
    Assigned = "assigned" ["办理中"],
    Answered = "answered" ["已答复"],
    Closed = "closed" ["已办结"],
});

coded!(
    /// The petitioner's satisfaction with the reply, recorded at closing.
    Satisfaction, "petition-satisfaction", {
    Satisfied = "satisfied" ["满意"],
    Basic = "basic" ["基本满意"],
    Dissatisfied = "dissatisfied" ["不满意"],
});

/// The deadlines of a petition, in days from its receipt. **Local rules (本地规定)**: the
/// union's own practice, not taken from a statute read here; the defaults (15 days to
/// accept and tell the petitioner, 60 days to conclude) are placeholders to be confirmed
/// against the regulation the district applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PetitionRules {
    pub accept_days: i64,
    pub conclude_days: i64,
}

impl PetitionRules {
    pub const LOCAL: PetitionRules = PetitionRules {
        accept_days: 15,
        conclude_days: 60,
    };

    /// The day by which the petition must be assigned (accepted).
    pub fn accept_by(&self, received: NaiveDate) -> NaiveDate {
        received + chrono::Duration::days(self.accept_days)
    }

    /// The day by which it must be concluded (answered).
    pub fn conclude_by(&self, received: NaiveDate) -> NaiveDate {
        received + chrono::Duration::days(self.conclude_days)
    }
}

pub const PETITION_NAME_MAX: usize = 40;
pub const PETITION_TEXT_MAX: usize = 2000;
pub const OWNER_MAX: usize = 40;

/// A letter or visit as typed at intake.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PetitionInput {
    pub unit: String,
    pub channel: String,
    pub category: String,
    pub received_on: String,
    pub name: String,
    pub phone: String,
    pub matter: String,
    /// `on` for a collective petition (集体访), flagged for the district.
    pub collective: String,
}

/// A parsed intake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PetitionDraft {
    pub channel: PetitionChannel,
    pub category: PetitionCategory,
    pub received_on: NaiveDate,
    pub name: String,
    pub phone: Option<String>,
    pub matter: String,
    pub collective: bool,
}

fn coded_field<C: crate::org::Coded>(field: &'static str, s: &str) -> Result<C, FieldError> {
    C::from_code(s.trim()).ok_or_else(|| FieldError::new(field, crate::text::REQUIRED))
}

impl PetitionInput {
    /// Every error at its field; a receipt date after `today` is refused.
    pub fn parse(&self, today: NaiveDate) -> Result<PetitionDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let channel = e.take(coded_field::<PetitionChannel>("channel", &self.channel));
        let category = e.take(coded_field::<PetitionCategory>("category", &self.category));
        let received_on = e.take(parse_date("received_on", &self.received_on));
        if let Some(d) = received_on
            && d > today
        {
            e.push(FieldError::new("received_on", t::RECEIVED_FUTURE));
        }
        let name = e.take(required_text("name", &self.name, PETITION_NAME_MAX));
        let phone = self.phone.trim();
        let phone = if phone.is_empty() {
            Some(None)
        } else if phone.len() <= 20
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
            && phone.chars().filter(char::is_ascii_digit).count() >= 7
        {
            Some(Some(phone.to_string()))
        } else {
            e.push(FieldError::new("phone", t::PHONE_INVALID));
            None
        };
        let matter = e.take(required_text("matter", &self.matter, PETITION_TEXT_MAX));
        match (channel, category, received_on, name, phone, matter) {
            (
                Some(channel),
                Some(category),
                Some(received_on),
                Some(name),
                Some(phone),
                Some(matter),
            ) if e.is_empty() => Ok(PetitionDraft {
                channel,
                category,
                received_on,
                name,
                phone,
                matter,
                collective: matches!(self.collective.as_str(), "on" | "true" | "1"),
            }),
            _ => Err(e),
        }
    }
}

/// A name as lists show it: the family name and a mask (`王**`).
pub fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}**"),
        None => String::new(),
    }
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "rights",
    enums: &[
        crate::area::CodedEnum::of::<SurveyStatus>(),
        crate::area::CodedEnum::of::<QuestionKind>(),
        crate::area::CodedEnum::of::<PetitionChannel>(),
        crate::area::CodedEnum::of::<PetitionCategory>(),
        crate::area::CodedEnum::of::<PetitionStatus>(),
        crate::area::CodedEnum::of::<Satisfaction>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    const QS: &str = "* single: 满意吗？ | 满意 | 基本满意 | 不满意\nmultiple: 关心什么？ | 工资 | 职称 | 休假\n* scale 1-5: 民主管理评价\nshort: 学科\nlong: 意见建议";

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn questions_typed_one_a_line_are_parsed_and_written_back() {
        let qs = parse_questions("questions", QS).unwrap();
        assert_eq!(qs.len(), 5);
        assert!(qs[0].required && !qs[1].required);
        assert_eq!(qs[0].options, vec!["满意", "基本满意", "不满意"]);
        assert_eq!(qs[2].scale, (1, 5));
        assert_eq!(
            parse_questions("questions", &questions_text(&qs)).unwrap(),
            qs
        );
    }

    #[test]
    fn a_bad_question_line_is_refused_with_its_line_number() {
        let e = parse_questions("questions", "single: 只有一个 | 选项\nfoo").unwrap_err();
        assert_eq!(e.key, t::QUESTION_OPTIONS);
        let e = parse_questions("questions", "single: a | b | c\nfoo").unwrap_err();
        assert_eq!(e.key, t::QUESTION_LINE);
        assert_eq!(e.args, vec![("line", "2".to_string())]);
        let e = parse_questions("questions", "scale 5-1: 反了").unwrap_err();
        assert_eq!(e.key, t::QUESTION_SCALE);
        assert_eq!(
            parse_questions("questions", "  ").unwrap_err().key,
            t::QUESTIONS_EMPTY
        );
    }

    #[test]
    fn a_required_item_left_empty_and_a_value_outside_the_scale_are_refused_at_their_fields() {
        let qs = parse_questions("questions", QS).unwrap();
        let e = check_answers(&qs, &pairs(&[("q2", "9")])).unwrap_err();
        assert_eq!(e.get("q0").unwrap().key, t::ANSWER_REQUIRED);
        assert_eq!(e.get("q2").unwrap().key, t::ANSWER_SCALE);
        let e = check_answers(&qs, &pairs(&[("q0", "7"), ("q2", "3")])).unwrap_err();
        assert_eq!(e.get("q0").unwrap().key, t::ANSWER_CHOICE);
        let e = check_answers(&qs, &pairs(&[("q0", "0"), ("q0", "1"), ("q2", "3")])).unwrap_err();
        assert_eq!(e.get("q0").unwrap().key, t::ANSWER_ONE);
    }

    #[test]
    fn answers_are_tallied_and_texts_listed_in_sorted_order() {
        let qs = parse_questions("questions", QS).unwrap();
        let a = check_answers(
            &qs,
            &pairs(&[
                ("q0", "1"),
                ("q1", "0"),
                ("q1", "2"),
                ("q2", "4"),
                ("q4", "乙"),
            ]),
        )
        .unwrap();
        let b = check_answers(&qs, &pairs(&[("q0", "1"), ("q2", "5"), ("q4", "甲")])).unwrap();
        assert_eq!(decode(&encode(&a)).unwrap(), a);
        let r = tally(&qs, [&a, &b]);
        assert_eq!(r[0].counts, vec![0, 2, 0]);
        assert_eq!(r[1].counts, vec![1, 0, 1]);
        assert_eq!(r[1].answered, 1);
        assert_eq!(r[2].counts, vec![0, 0, 0, 1, 1]);
        assert_eq!(r[2].mean_x100(), Some(450));
        assert_eq!(r[3].answered, 0);
        assert_eq!(r[4].texts, vec!["乙".to_string(), "甲".to_string()]);
    }

    #[test]
    fn an_encoded_answer_names_no_person_and_no_time() {
        let a = vec![Answer::Choice(vec![1]), Answer::Scale(3), Answer::None];
        assert_eq!(
            encode(&a),
            r#"[{"k":"c","v":[1]},{"k":"s","v":3},{"k":"n"}]"#
        );
    }

    #[test]
    fn an_intake_is_parsed_with_every_error_at_its_field_and_names_are_masked() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let i = PetitionInput {
            channel: "visit".into(),
            category: "pay".into(),
            received_on: "2026-05-02".into(),
            name: "王某某".into(),
            phone: "abc".into(),
            matter: "".into(),
            ..PetitionInput::default()
        };
        let e = i.parse(today).unwrap_err();
        assert_eq!(e.get("received_on").unwrap().key, t::RECEIVED_FUTURE);
        assert_eq!(e.get("phone").unwrap().key, t::PHONE_INVALID);
        assert!(e.get("matter").is_some());
        let ok = PetitionInput {
            received_on: "2026-04-30".into(),
            phone: "138 0000 1111".into(),
            matter: "拖欠绩效工资".into(),
            ..i
        }
        .parse(today)
        .unwrap();
        assert_eq!(ok.channel, PetitionChannel::Visit);
        assert_eq!(mask_name(&ok.name), "王**");
        let r = PetitionRules::LOCAL;
        assert_eq!(
            r.conclude_by(ok.received_on),
            NaiveDate::from_ymd_opt(2026, 6, 29).unwrap()
        );
    }

    #[test]
    fn a_closing_date_in_the_past_is_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let i = SurveyInput {
            title: "教师权益调查".into(),
            closes_on: "2026-04-30".into(),
            questions: QS.into(),
            ..SurveyInput::default()
        };
        assert_eq!(i.parse(today).unwrap_err().0[0].key, t::CLOSES_PAST);
    }
}
