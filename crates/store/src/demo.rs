//! A deterministic demo: a district union with its areas, school unions, branches,
//! members, cadres and logins — or, with many members, a province for benchmarks. The same
//! seed gives the same data, byte for byte (apart from encryption nonces).

use crate::audit::{self, Event, Who};
use crate::auth::{self, NewAccount, PasswordHasher};
use crate::db::now;
use crate::org::members::{NewMemberRow, encode, insert_members};
use crate::org::units::{NewUnit, insert_unit};
use crate::{Store, StoreError, on_tx};
use chrono::{Datelike, Duration, NaiveDate};
use domain::audit::Changes;
use domain::auth::{Role, SystemCap};
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::org::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub members: usize,
    pub seed: u64,
    pub today: NaiveDate,
    /// Create the demo logins (needs password hashing: skip for benchmark loads).
    pub logins: bool,
}

/// The password of every demo login. Printed at start; never use a demo database for real.
pub const DEMO_PASSWORD: &str = "jiaogong-demo";

#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub unit_name: String,
}

#[derive(Clone, Debug, Default)]
pub struct DemoSummary {
    pub union_name: String,
    pub areas: usize,
    pub schools: usize,
    pub members: usize,
    pub logins: Vec<DemoLogin>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段", "雷", "侯", "龙", "史",
];
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "建国", "志强", "海波", "文斌", "国华", "晓东", "俊杰", "子轩", "浩然",
    "建华", "永强", "立新", "振宇", "嘉豪",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "颖", "琳", "倩",
    "洁", "梅", "莉", "红", "秀英", "桂英", "丽华", "晓燕", "雅婷", "欣怡", "思琪", "佳慧", "丽娟",
    "春梅", "海燕", "文静", "梦瑶", "雨萱",
];
const ETHNIC: &[(&str, u32)] = &[
    ("汉族", 940),
    ("回族", 15),
    ("满族", 12),
    ("畲族", 10),
    ("壮族", 8),
    ("土家族", 8),
    ("苗族", 7),
];
const REGIONS: &[&str] = &[
    "330102", "330105", "330106", "330108", "330110", "330122", "330127", "330183", "330185",
    "331002",
];

struct SchoolPlan {
    name: &'static str,
    level: SchoolLevel,
    kind: SchoolKind,
    weight: u32,
}

const DISTRICT: &[(&str, &[(&str, SchoolLevel, SchoolKind, u32)])] = &[
    (
        "城东片",
        &[
            (
                "临江区实验小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                11,
            ),
            (
                "临江区东城小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                8,
            ),
            (
                "临江区第一中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                16,
            ),
            ("临江区东城中学", SchoolLevel::Middle, SchoolKind::Public, 9),
            (
                "临江区城东幼儿园",
                SchoolLevel::Kindergarten,
                SchoolKind::Public,
                4,
            ),
        ],
    ),
    (
        "城西片",
        &[
            (
                "临江区西湖小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                9,
            ),
            (
                "临江区第二中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                14,
            ),
            (
                "临江区西城实验学校",
                SchoolLevel::Middle,
                SchoolKind::Public,
                10,
            ),
            (
                "临江区职业技术学校",
                SchoolLevel::Vocational,
                SchoolKind::Public,
                12,
            ),
        ],
    ),
    (
        "城南片",
        &[
            (
                "临江区南苑小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                8,
            ),
            (
                "临江区第三中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                12,
            ),
            (
                "临江区南湖小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                7,
            ),
            (
                "临江区特殊教育学校",
                SchoolLevel::Special,
                SchoolKind::Public,
                3,
            ),
        ],
    ),
    (
        "城北片",
        &[
            (
                "临江区北城小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                8,
            ),
            (
                "临江区第四中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                12,
            ),
            ("临江区北苑中学", SchoolLevel::Middle, SchoolKind::Public, 8),
            (
                "临江区英才外国语学校",
                SchoolLevel::Middle,
                SchoolKind::Private,
                7,
            ),
        ],
    ),
    (
        "乡镇片",
        &[
            (
                "临江区青山镇中心小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                5,
            ),
            (
                "临江区青山镇中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                5,
            ),
            (
                "临江区白沙镇中心小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                4,
            ),
            (
                "临江区白沙镇中学",
                SchoolLevel::Middle,
                SchoolKind::Public,
                5,
            ),
            (
                "临江区石桥镇中心小学",
                SchoolLevel::Primary,
                SchoolKind::Public,
                3,
            ),
        ],
    ),
];

const PROVINCE_AREAS: &[&str] = &[
    "东湖", "西山", "南江", "北岭", "云溪", "青川", "白鹭", "金沙", "玉泉", "长宁", "安平", "永和",
];
const PROVINCE_KINDS: &[(&str, SchoolLevel, u32)] = &[
    ("小学", SchoolLevel::Primary, 8),
    ("中学", SchoolLevel::Middle, 12),
    ("幼儿园", SchoolLevel::Kindergarten, 4),
    ("职业技术学校", SchoolLevel::Vocational, 11),
];

fn branches_for(level: SchoolLevel) -> &'static [&'static str] {
    match level {
        SchoolLevel::Kindergarten => &["保教组", "行政后勤组"],
        SchoolLevel::Primary => &["语文组", "数学组", "英语组", "综合组", "行政后勤组"],
        SchoolLevel::Middle => &[
            "语文组",
            "数学组",
            "外语组",
            "理化生组",
            "政史地组",
            "体艺组",
            "行政后勤组",
        ],
        SchoolLevel::Vocational => &[
            "文化课组",
            "机电专业组",
            "财会专业组",
            "信息技术组",
            "行政后勤组",
        ],
        SchoolLevel::Special | SchoolLevel::Other => &["教学组", "康复组", "行政后勤组"],
    }
}

const RETIREE_BRANCH: &str = "离退休分会";

fn weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    &items[0].0
}

/// Loads the demo into an empty database.
pub async fn load(
    st: &Store,
    sys: &SystemCap,
    hasher: Option<&PasswordHasher>,
    opts: &DemoOptions,
) -> Result<DemoSummary, StoreError> {
    if !crate::org::units::roots(&st.db).await?.is_empty() {
        return Err(StoreError::State(
            "the database already holds an organisation",
        ));
    }
    let run = crate::area::DemoRun {
        st,
        sys,
        hasher,
        opts,
    };
    let mut summary = DemoSummary::default();
    // Every area's year, in the order of the one list: the organisation and its people
    // first, then each area on top of what the earlier ones made.
    for a in crate::area::AREAS {
        if let Some(demo) = a.demo {
            // Each area's share of the load, so a slow loader at province scale is named.
            let started = std::time::Instant::now();
            demo(&run, &mut summary).await?;
            tracing::info!(
                area = a.name,
                ms = started.elapsed().as_millis() as u64,
                "demo area loaded"
            );
        }
    }
    Ok(summary)
}

/// The org area's demo: the district's tree, its members and the logins of its people.
pub(crate) fn org_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    summary: &'a mut DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        let s = load_org(run.st, run.sys, run.hasher, run.opts).await?;
        *summary = s;
        Ok(())
    })
}

async fn load_org(
    st: &Store,
    sys: &SystemCap,
    hasher: Option<&PasswordHasher>,
    opts: &DemoOptions,
) -> Result<DemoSummary, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let who = Who::system("demo");
    let province = opts.members > 50_000;
    let mut tx = st.db.begin().await?;

    // The tree.
    let (union_name, union_code, union_kind) = if province {
        ("云江省教育工会", "YJ", UnionKind::Province)
    } else {
        ("临江区教育工会", "LJ", UnionKind::District)
    };
    let root = insert_unit(
        &mut tx,
        None,
        &NewUnit {
            kind: OrgKind::Union,
            code: union_code.into(),
            name: union_name.into(),
            union_kind: Some(union_kind),
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        },
    )
    .await?;
    let mut schools: Vec<(
        OrgUnitId,
        String,
        SchoolLevel,
        u32,
        Vec<OrgUnitId>,
        OrgUnitId,
    )> = Vec::new();
    let mut area_ids: Vec<(OrgUnitId, String)> = Vec::new();
    let plans: Vec<(String, Vec<SchoolPlan>)> = if province {
        let n_schools = (opts.members / 180).max(30);
        let n_areas = (n_schools / 25).max(3);
        (0..n_areas)
            .map(|a| {
                let base = PROVINCE_AREAS[a % PROVINCE_AREAS.len()];
                let area_name = if a < PROVINCE_AREAS.len() {
                    format!("{base}片")
                } else {
                    format!("{base}{}片", a / PROVINCE_AREAS.len() + 1)
                };
                let per = n_schools / n_areas + usize::from(a < n_schools % n_areas);
                let list = (0..per)
                    .map(|i| {
                        let (suffix, level, w) = PROVINCE_KINDS[i % PROVINCE_KINDS.len()];
                        let name: &'static str = Box::leak(
                            format!("{area_name}第{}{suffix}", i / PROVINCE_KINDS.len() + 1)
                                .into_boxed_str(),
                        );
                        SchoolPlan {
                            name,
                            level,
                            kind: if i % 37 == 36 {
                                SchoolKind::Private
                            } else {
                                SchoolKind::Public
                            },
                            weight: w,
                        }
                    })
                    .collect();
                (area_name, list)
            })
            .collect()
    } else {
        DISTRICT
            .iter()
            .map(|(a, list)| {
                (
                    a.to_string(),
                    list.iter()
                        .map(|(n, l, k, w)| SchoolPlan {
                            name: n,
                            level: *l,
                            kind: *k,
                            weight: *w,
                        })
                        .collect(),
                )
            })
            .collect()
    };
    for (ai, (area_name, list)) in plans.iter().enumerate() {
        let area = insert_unit(
            &mut tx,
            Some(root),
            &NewUnit {
                kind: OrgKind::Area,
                code: format!("{union_code}-A{:02}", ai + 1),
                name: area_name.clone(),
                union_kind: None,
                school_kind: None,
                school_level: None,
                staff_count: 0,
                sort_order: ai as i64,
            },
        )
        .await?;
        area_ids.push((area, area_name.clone()));
        for (si, s) in list.iter().enumerate() {
            let code = format!("{union_code}-{:02}{:03}", ai + 1, si + 1);
            let school = insert_unit(
                &mut tx,
                Some(area),
                &NewUnit {
                    kind: OrgKind::SchoolUnion,
                    code: code.clone(),
                    name: format!("{}工会", s.name),
                    union_kind: None,
                    school_kind: Some(s.kind),
                    school_level: Some(s.level),
                    staff_count: 0,
                    sort_order: si as i64,
                },
            )
            .await?;
            let mut branch_ids = Vec::new();
            for (bi, b) in branches_for(s.level).iter().enumerate() {
                branch_ids.push(
                    insert_unit(
                        &mut tx,
                        Some(school),
                        &NewUnit {
                            sort_order: bi as i64,
                            ..NewUnit::branch(format!("{code}-B{}", bi + 1), b.to_string())
                        },
                    )
                    .await?,
                );
            }
            let retirees = insert_unit(
                &mut tx,
                Some(school),
                &NewUnit {
                    sort_order: 99,
                    ..NewUnit::branch(format!("{code}-R"), RETIREE_BRANCH.into())
                },
            )
            .await?;
            schools.push((
                school,
                format!("{}工会", s.name),
                s.level,
                s.weight,
                branch_ids,
                retirees,
            ));
        }
    }

    // Members, spread over schools by weight.
    let total_weight: u32 = schools.iter().map(|s| s.3).sum();
    let mut seen: HashSet<String> = HashSet::with_capacity(opts.members);
    let mut created = 0usize;
    let mut first_members: Vec<(OrgUnitId, Vec<MemberId>)> = Vec::new();
    let t = now();
    for (i, (school, _, _, w, branches, retiree_branch)) in schools.iter().enumerate() {
        let share = if i + 1 == schools.len() {
            opts.members - created
        } else {
            ((opts.members as u64 * u64::from(*w)) / u64::from(total_weight.max(1))) as usize
        };
        let mut batch: Vec<(MemberDraft, Option<OrgUnitId>)> = Vec::with_capacity(share);
        for _ in 0..share {
            let d = person(&mut rng, opts.today, &mut seen);
            let branch = if d.status == MemberStatus::Retired {
                Some(*retiree_branch)
            } else if d.post == Post::Leader || d.post == Post::Worker || d.post == Post::Staff {
                branches.last().copied()
            } else {
                branches.choose(&mut rng).copied()
            };
            batch.push((d, branch));
        }
        // Leaders first, so that the school's chair is a leader.
        batch.sort_by_key(|(d, _)| (d.post != Post::Leader, d.status != MemberStatus::Active));
        let mut ids = Vec::with_capacity(batch.len());
        let encs: Vec<_> = batch.iter().map(|(d, _)| encode(&st.cipher, d)).collect();
        let rows: Vec<NewMemberRow<'_>> = batch
            .iter()
            .zip(&encs)
            .map(|((d, branch), e)| NewMemberRow {
                school: *school,
                branch: *branch,
                draft: d,
                enc: e,
                since: if d.status == MemberStatus::Active {
                    d.join_date.unwrap_or(opts.today)
                } else {
                    retirement_date(d)
                },
            })
            .collect();
        let mut new_ids: Vec<i64> = insert_members(&mut tx, &st.cipher, &rows)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        // Ids grow in insertion order: sorted, they follow the batch (leaders first).
        new_ids.sort_unstable();
        ids.extend(new_ids.into_iter().map(MemberId));
        created += share;
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE org_unit SET staff_count = $1 WHERE id = $2"
        )
        .bind(share as i64)
        .bind(school.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        if first_members.len() < 400 {
            first_members.push((*school, ids.iter().take(6).copied().collect()));
        }
    }

    // Cadres: chair, vice-chair and committee members of each school's union.
    let start = NaiveDate::from_ymd_opt(opts.today.year() - 2, 9, 1).unwrap_or(opts.today);
    for (school, ids) in &first_members {
        for (k, m) in ids.iter().take(5).enumerate() {
            let pos = match k {
                0 => CadrePosition::Chair,
                1 => CadrePosition::ViceChair,
                2 => CadrePosition::WomenCommitteeChair,
                _ => CadrePosition::CommitteeMember,
            };
            on_tx!(&mut tx, |c| {
                sqlx::query("INSERT INTO cadre (member_id, org_unit_id, position, start_date, end_date, created_at) VALUES ($1, $2, $3, $4, NULL, $5)")
                .bind(m.0)
                .bind(school.0)
                .bind(pos.code())
                .bind(start)
                .bind(t)
                .execute(&mut *c)
                .await.map(|r| r.rows_affected())
            })?;
        }
    }
    let mut ch = Changes::new();
    ch.note("seed", opts.seed)
        .note("members", opts.members as u64)
        .note("schools", schools.len() as u64);
    audit::append(
        &mut tx,
        &st.cipher,
        &who,
        Event {
            action: "demo.load",
            entity_type: "org_unit",
            entity_id: Some(root.0),
            org_unit: Some(root),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;

    let mut logins = Vec::new();
    if opts.logins
        && let Some(h) = hasher
    {
        let hash = h.hash(DEMO_PASSWORD).await?;
        let school_a = schools.first().map(|s| (s.0, s.1.clone()));
        let school_b = schools
            .iter()
            .find(|s| s.2 == SchoolLevel::Middle)
            .map(|s| (s.0, s.1.clone()));
        let member_a = first_members
            .first()
            .and_then(|(_, ids)| ids.first().copied());
        let member_plain = first_members
            .first()
            .and_then(|(_, ids)| ids.get(5).copied());
        let area = area_ids.first().cloned();
        let mut plan: Vec<(
            &str,
            &str,
            Role,
            Option<(OrgUnitId, String)>,
            Option<MemberId>,
        )> = vec![
            (
                "admin",
                "平台管理员",
                Role::PlatformAdmin,
                Some((root, union_name.to_string())),
                None,
            ),
            (
                "staff",
                "区教育工会干事",
                Role::UnionStaff,
                Some((root, union_name.to_string())),
                None,
            ),
            ("area", "城东片片长", Role::AreaLead, area, None),
            (
                "chair",
                "实验小学工会主席",
                Role::SchoolChair,
                school_a.clone(),
                member_a,
            ),
            (
                "chair2",
                "第一中学工会主席",
                Role::SchoolChair,
                school_b,
                None,
            ),
            (
                "committee",
                "实验小学工会委员",
                Role::CommitteeMember,
                school_a.clone(),
                None,
            ),
            (
                "member",
                "实验小学教师",
                Role::Member,
                school_a,
                member_plain,
            ),
        ];
        for (username, display, role, unit, member) in plan.drain(..) {
            let Some((unit, unit_name)) = unit else {
                continue;
            };
            let id: AccountId = auth::create_account_system(
                sys,
                st,
                &who,
                &NewAccount {
                    username: username.into(),
                    display_name: display.into(),
                    member,
                    password_hash: Some(hash.clone()),
                },
            )
            .await?;
            auth::grant_system(sys, st, &who, id, role, unit).await?;
            logins.push(DemoLogin {
                username: username.into(),
                role,
                unit_name,
            });
        }
    }
    Ok(DemoSummary {
        union_name: union_name.into(),
        areas: area_ids.len(),
        schools: schools.len(),
        members: created,
        logins,
    })
}

fn retirement_date(d: &MemberDraft) -> NaiveDate {
    let age = if d.gender == Gender::Male { 60 } else { 55 };
    d.birth_date
        .with_year(d.birth_date.year() + age)
        .unwrap_or(d.birth_date + Duration::days(365 * age as i64))
}

/// One plausible staff member.
fn person(rng: &mut ChaCha8Rng, today: NaiveDate, seen: &mut HashSet<String>) -> MemberDraft {
    let gender = if rng.random_bool(0.68) {
        Gender::Female
    } else {
        Gender::Male
    };
    let retired = rng.random_bool(0.14);
    let age: i32 = if retired {
        rng.random_range(56..88)
    } else {
        rng.random_range(22..60)
    };
    let birth = loop {
        let y = today.year() - age;
        let doy = rng.random_range(1..=365);
        if let Some(d) = NaiveDate::from_yo_opt(y, doy) {
            break d;
        }
    };
    let id_number = loop {
        let region = REGIONS.choose(rng).copied().unwrap_or("330102");
        let seq: u32 = rng.random_range(0..500) * 2 + if gender == Gender::Male { 1 } else { 0 };
        let body = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq);
        let full = format!("{body}{}", IdNumber::check_char(&body));
        if seen.insert(full.clone())
            && let Ok(id) = IdNumber::parse(&full)
        {
            break id;
        }
    };
    let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
    let given = if gender == Gender::Male {
        GIVEN_MALE.choose(rng)
    } else {
        GIVEN_FEMALE.choose(rng)
    }
    .copied()
    .unwrap_or("明");
    let post = *weighted(
        rng,
        &[
            (Post::Teacher, 76),
            (Post::Leader, 6),
            (Post::Staff, 9),
            (Post::Worker, 6),
            (Post::Other, 3),
        ],
    );
    let status = if retired {
        MemberStatus::Retired
    } else {
        *weighted(
            rng,
            &[
                (MemberStatus::Active, 980),
                (MemberStatus::TransferredOut, 12),
                (MemberStatus::Left, 8),
            ],
        )
    };
    let phone = if rng.random_bool(0.93) {
        let prefix = [
            "138", "139", "137", "135", "136", "150", "151", "158", "159", "186", "187", "188",
            "189", "177", "199",
        ]
        .choose(rng)
        .copied()
        .unwrap_or("138");
        Phone::parse(&format!(
            "{prefix}{:08}",
            rng.random_range(0..100_000_000u32)
        ))
        .ok()
    } else {
        None
    };
    let title = Some(if post == Post::Teacher || post == Post::Leader {
        if age > 45 {
            *weighted(
                rng,
                &[
                    (ProfessionalTitle::Senior, 3),
                    (ProfessionalTitle::AssociateSenior, 45),
                    (ProfessionalTitle::Intermediate, 45),
                    (ProfessionalTitle::Junior, 7),
                ],
            )
        } else if age > 30 {
            *weighted(
                rng,
                &[
                    (ProfessionalTitle::AssociateSenior, 15),
                    (ProfessionalTitle::Intermediate, 60),
                    (ProfessionalTitle::Junior, 25),
                ],
            )
        } else {
            *weighted(
                rng,
                &[
                    (ProfessionalTitle::Intermediate, 10),
                    (ProfessionalTitle::Junior, 70),
                    (ProfessionalTitle::Unrated, 20),
                ],
            )
        }
    } else {
        *weighted(
            rng,
            &[
                (ProfessionalTitle::Intermediate, 20),
                (ProfessionalTitle::Junior, 40),
                (ProfessionalTitle::Unrated, 40),
            ],
        )
    });
    let education = Some(if age < 35 {
        *weighted(
            rng,
            &[
                (Education::Master, 25),
                (Education::Bachelor, 70),
                (Education::Associate, 5),
            ],
        )
    } else {
        *weighted(
            rng,
            &[
                (Education::Master, 8),
                (Education::Bachelor, 70),
                (Education::Associate, 18),
                (Education::Secondary, 4),
            ],
        )
    });
    let political_status = Some(*weighted(
        rng,
        &[
            (PoliticalStatus::CpcMember, 38),
            (PoliticalStatus::CylMember, if age < 28 { 30 } else { 2 }),
            (PoliticalStatus::DemocraticParty, 3),
            (PoliticalStatus::Masses, 55),
        ],
    ));
    let employment_type = Some(if retired {
        if rng.random_bool(0.05) {
            EmploymentType::Rehired
        } else {
            EmploymentType::Established
        }
    } else {
        *weighted(
            rng,
            &[
                (EmploymentType::Established, 82),
                (EmploymentType::Contract, 12),
                (EmploymentType::Agency, 4),
                (EmploymentType::Temporary, 2),
            ],
        )
    });
    let ethnicity = Some(weighted(rng, ETHNIC).to_string());
    let join_years = rng.random_range(22..=(age.max(23)));
    let join_date = birth
        .with_year(birth.year() + join_years)
        .map(|d| d.with_day(1).unwrap_or(d))
        .filter(|d| *d <= today);
    MemberDraft {
        name: format!("{surname}{given}"),
        gender,
        birth_date: birth,
        id_number,
        phone,
        post,
        title,
        ethnicity,
        political_status,
        education,
        employment_type,
        join_date,
        join_date_precision: domain::roster::DatePrecision::Day,
        status,
    }
}
