//! Roles, grants and the permission policy.
//!
//! A person holds grants `(role, org_unit)`; a grant covers the unit and its subtree. The
//! policy is a pure table from role to permissions. Asking it for a permission yields a
//! [`Cap`], a capability value that only this module can make; `store` functions that read
//! or write scoped data demand one, so forgetting a check does not compile. The capability
//! carries the scope (the roots of the subtrees it covers), which `store` turns into SQL.

use crate::ids::{AccountId, MemberId, OrgUnitId};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

macro_rules! roles {
    ($($var:ident = $code:literal),* $(,)?) => {
        /// Roles of DESIGN.md §1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Role { $($var),* }
        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$var),*];
            pub fn code(self) -> &'static str { match self { $(Role::$var => $code),* } }
            pub fn from_code(s: &str) -> Option<Role> {
                match s { $($code => Some(Role::$var),)* _ => None }
            }
            pub fn label_key(self) -> String { format!("enum-role-{}", self.code().replace('_', "-")) }
        }
    };
}

roles! {
    PlatformAdmin = "platform_admin",
    UnionStaff = "union_staff",
    AreaLead = "area_lead",
    SchoolChair = "school_chair",
    CommitteeMember = "committee_member",
    FinanceOfficer = "finance_officer",
    Auditor = "auditor",
    ProposalsCommittee = "proposals_committee",
    HandlingDepartment = "handling_department",
    Delegate = "delegate",
    Member = "member",
}

impl Role {
    /// Roles whose holders must use a second factor.
    pub fn requires_totp(self) -> bool {
        matches!(self, Role::PlatformAdmin | Role::FinanceOfficer)
    }
}

macro_rules! permissions {
    ($($var:ident),* $(,)?) => {
        /// What an actor may do. Each has a zero-sized marker type in [`perm`] used as the
        /// type parameter of [`Cap`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Permission { $($var),* }
        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$var),*];
        }
        /// Marker types: `Cap<perm::MemberView>` is the right to view members in a scope.
        pub mod perm {
            pub trait Perm: Send + Sync + 'static {
                const PERMISSION: super::Permission;
            }
            $(
                #[derive(Debug)]
                pub struct $var;
                impl Perm for $var { const PERMISSION: super::Permission = super::Permission::$var; }
            )*
        }
    };
}

permissions! {
    OrgView,
    OrgManage,
    MemberView,
    MemberEdit,
    MemberImport,
    MemberExport,
    PersonalDataView,
    PersonalDataExport,
    AccountManage,
    AuditView,
    DashboardView,
    CongressView,
    CongressAttend,
    CongressManage,
    CongressOversight,
    // Record a justified exemption from the yearly meeting (union staff).
    CongressExempt,
    RuleSetManage,
    ProposalSubmit,
    ProposalSecond,
    ProposalReview,
    ProposalHandle,
    SuggestionSubmit,
    // Assistance (帮扶): read the unit's hardship files (masked; a full view is audited),
    // draft and review them (committee member), confirm them (the school chair).
    AssistanceView,
    AssistanceDraft,
    AssistanceConfirm,
    // Assessment (职工之家, 年度考核): read the schools' staff homes and annual assessment,
    // self-assess the school's staff home (its chair), recommend (the area lead), review
    // and downgrade (district union staff).
    AssessmentView,
    HomeApply,
    HomeRecommend,
    AssessmentReview,
    // News, work plan and year summary (信息 / 工作计划 / 工作总结): submit news (a registered
    // correspondent only, the data decides), review news and record placements (the school,
    // then the district), read the year's plan, edit it, draft and edit the year summary.
    NewsSubmit,
    NewsReview,
    WorkPlanView,
    WorkPlanManage,
    SummaryDraft,
    // Elections (union committees, 换届 / 补选): read committees, terms, vacancies and
    // elections; run the school's side (committees, application, candidates, result);
    // approve a step as the upper union (批复).
    ElectionView,
    ElectionManage,
    ElectionApprove,
    // Funds (经费): read a school's ledger, budgets, levies and findings; enter levies,
    // budget lines, incomes and expenses and answer findings; approve another person's
    // expense; record audit findings (the audit committee).
    FundsView,
    FundsEnter,
    FundsApprove,
    FundsAudit,
    // Activities (文体活动): sign up, cancel and check in as oneself (every member; the data
    // decides whether one is in the activity's audience); organise activities, see their
    // sign-ups and record attendance (the school's chair and committee, union staff).
    ActivityJoin,
    ActivityManage,
    // Rights (维权): read the surveys of a unit (progress, results once allowed), draft,
    // open and close them (the chair, district staff), answer one as a member of its scope.
    SurveyView,
    SurveyManage,
    SurveyAnswer,
    // Letters and visits (来信来访): read a unit's petitions (masked; the full view is
    // audited), receive, assign, answer and close them (the chair, district staff).
    PetitionView,
    PetitionHandle,
    // Contests (劳动竞赛 / 技能比赛): read the contests and results in scope; organize a
    // contest (categories, criteria, judges, publishing: union staff); submit the school's
    // entries; score as a judge (the data decides: only a judge declared for the contest,
    // never on an entry of a school they are in conflict with).
    ContestView,
    ContestManage,
    ContestEnter,
    ContestJudge,
}

/// The policy table. Reading a row answers "what may a holder of this role do within the
/// subtree of the grant".
pub fn role_permits(role: Role, p: Permission) -> bool {
    use Permission as P;
    match role {
        Role::PlatformAdmin => true,
        // Union staff oversee; proposing, seconding, reviewing and answering belong to the
        // school's own delegates, committee and departments.
        Role::UnionStaff => !matches!(
            p,
            P::ProposalSubmit
                | P::ProposalSecond
                | P::ProposalReview
                | P::ProposalHandle
                | P::SuggestionSubmit
        ),
        Role::AreaLead => matches!(
            p,
            P::OrgView
                | P::MemberView
                | P::MemberExport
                | P::DashboardView
                | P::CongressView
                | P::CongressAttend
                | P::CongressOversight
                // Assessment
                | P::AssessmentView
                | P::HomeRecommend
                | P::WorkPlanView
                // Elections
                | P::ElectionView
                | P::FundsView
                // Rights
                | P::SurveyView
                // Contests
                | P::ContestView
                | P::ContestJudge
        ),
        Role::SchoolChair => matches!(
            p,
            P::OrgView
                | P::MemberView
                | P::MemberEdit
                | P::MemberImport
                | P::MemberExport
                | P::PersonalDataView
                | P::PersonalDataExport
                | P::AccountManage
                | P::DashboardView
                | P::CongressView
                | P::CongressAttend
                | P::CongressManage
                | P::RuleSetManage
                | P::ProposalReview
                | P::AssistanceView
                | P::AssistanceDraft
                | P::AssistanceConfirm
                // Assessment
                | P::AssessmentView
                | P::HomeApply
                | P::NewsSubmit
                | P::NewsReview
                | P::WorkPlanView
                | P::WorkPlanManage
                | P::SummaryDraft
                // Elections: the school's side only; approval is the upper union's.
                | P::ElectionView
                | P::ElectionManage
                | P::FundsView
                | P::FundsEnter
                | P::FundsApprove
                // Activities
                | P::ActivityJoin
                | P::ActivityManage
                // Rights
                | P::SurveyView
                | P::SurveyManage
                | P::SurveyAnswer
                | P::PetitionView
                | P::PetitionHandle
                // Contests: the school's entries; organizing is the upper union's.
                | P::ContestView
                | P::ContestEnter
                | P::ContestJudge
        ),
        Role::CommitteeMember => {
            matches!(
                p,
                P::OrgView
                    | P::MemberView
                    | P::MemberEdit
                    | P::MemberExport
                    | P::DashboardView
                    | P::CongressView
                    | P::CongressAttend
                    | P::AssistanceView
                    | P::AssistanceDraft
                    | P::NewsSubmit
                    | P::NewsReview
                    | P::WorkPlanView
                    // Elections
                    | P::ElectionView
                    // Activities
                    | P::ActivityJoin
                    | P::ActivityManage
                    // Rights
                    | P::SurveyView
                    | P::SurveyAnswer
                    // Contests
                    | P::ContestView
                    | P::ContestEnter
                    | P::ContestJudge
            )
        }
        Role::FinanceOfficer => matches!(
            p,
            P::OrgView | P::MemberView | P::DashboardView | P::FundsView | P::FundsEnter
        ),
        Role::Auditor => matches!(p, P::OrgView | P::FundsView | P::FundsAudit),
        Role::ProposalsCommittee => {
            matches!(p, P::CongressView | P::CongressAttend | P::ProposalReview)
        }
        Role::HandlingDepartment => matches!(p, P::CongressAttend | P::ProposalHandle),
        // Attending (check-in, documents, the board) is further limited to the delegates
        // and voters of the term by the data; proposing and seconding to voting delegates.
        Role::Delegate => matches!(
            p,
            P::CongressAttend
                | P::ProposalSubmit
                | P::ProposalSecond
                | P::SuggestionSubmit
                | P::NewsSubmit
                | P::ActivityJoin
                | P::SurveyAnswer
        ),
        Role::Member => matches!(
            p,
            P::CongressAttend
                | P::SuggestionSubmit
                | P::NewsSubmit
                | P::ActivityJoin
                | P::SurveyAnswer
                | P::ContestJudge
        ),
    }
}

/// Which roles a holder of `granter` may hand out (within its own scope).
pub fn may_grant(granter: Role, role: Role) -> bool {
    match granter {
        Role::PlatformAdmin => true,
        Role::UnionStaff => role != Role::PlatformAdmin,
        Role::SchoolChair => matches!(
            role,
            Role::CommitteeMember
                | Role::FinanceOfficer
                | Role::Auditor
                | Role::ProposalsCommittee
                | Role::HandlingDepartment
                | Role::Delegate
                | Role::Member
        ),
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub org_unit: OrgUnitId,
}

/// The person behind a request, with every grant they hold.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account: AccountId,
    pub username: String,
    pub display_name: String,
    pub member: Option<MemberId>,
    pub grants: Vec<Grant>,
}

/// The org subtrees a capability covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every org unit of the installation (platform admin).
    All,
    /// The subtrees rooted at these units; never empty.
    Subtrees(Vec<OrgUnitId>),
}

impl Scope {
    pub fn roots(&self) -> Option<&[OrgUnitId]> {
        match self {
            Scope::All => None,
            Scope::Subtrees(r) => Some(r),
        }
    }
}

/// Proof that the policy allowed permission `P` to `account` within `scope`.
#[derive(Debug)]
pub struct Cap<P: perm::Perm> {
    account: AccountId,
    scope: Scope,
    _p: PhantomData<P>,
}

impl<P: perm::Perm> Cap<P> {
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// Capability to act as the system itself: command-line tools, migrations, the demo loader
/// and background jobs. Only code that runs without a request can reasonably hold it; web
/// handlers never construct one (a test greps the web crate for it).
#[derive(Debug)]
pub struct SystemCap(());

impl SystemCap {
    pub fn for_cli() -> SystemCap {
        SystemCap(())
    }
}

/// Why a capability was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("not permitted")]
    NotPermitted,
}

impl Actor {
    pub fn is_platform_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::PlatformAdmin)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn requires_totp(&self) -> bool {
        self.grants.iter().any(|g| g.role.requires_totp())
    }

    /// The units under which the actor holds permission `p` (deduplicated, in grant order).
    pub fn roots_for(&self, p: Permission) -> Vec<OrgUnitId> {
        let mut roots: Vec<OrgUnitId> = Vec::new();
        for g in &self.grants {
            if role_permits(g.role, p) && !roots.contains(&g.org_unit) {
                roots.push(g.org_unit);
            }
        }
        roots
    }

    pub fn may(&self, p: Permission) -> bool {
        self.is_platform_admin() || !self.roots_for(p).is_empty()
    }

    /// Asks the policy for `P`. The scope is every subtree where one of the actor's grants
    /// permits it.
    pub fn authorize<P: perm::Perm>(&self) -> Result<Cap<P>, Denied> {
        let scope = if self.is_platform_admin() {
            Scope::All
        } else {
            let roots = self.roots_for(P::PERMISSION);
            if roots.is_empty() {
                return Err(Denied::NotPermitted);
            }
            Scope::Subtrees(roots)
        };
        Ok(Cap {
            account: self.account,
            scope,
            _p: PhantomData,
        })
    }

    /// Roles the actor may hand out, whatever the unit (the unit is checked against the
    /// `AccountManage` scope separately).
    pub fn grantable_roles(&self) -> Vec<Role> {
        Role::ALL
            .iter()
            .copied()
            .filter(|r| self.grants.iter().any(|g| may_grant(g.role, *r)))
            .collect()
    }
}

/// A grant held by another account, with its unit and every unit above it (what the
/// closure table says about it). Used to decide whether that account is in an actor's reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldGrant {
    pub role: Role,
    /// The grant's unit and all its ancestors.
    pub under: Vec<OrgUnitId>,
}

impl Actor {
    /// Whether the account holding `held` is in this actor's reach for account management
    /// (link, reset, disable, enable, grant). Every one of its grants must lie under a unit
    /// where one of the actor's grants both manages accounts and may hand out that role:
    /// one member grant in a chair's school must not put an area lead or a district staff
    /// account in the chair's hands. An account without grants is reached only by a
    /// platform admin.
    pub fn reaches(&self, held: &[HeldGrant]) -> bool {
        if self.is_platform_admin() {
            return true;
        }
        !held.is_empty()
            && held.iter().all(|h| {
                self.grants.iter().any(|g| {
                    role_permits(g.role, Permission::AccountManage)
                        && may_grant(g.role, h.role)
                        && h.under.contains(&g.org_unit)
                })
            })
    }
}

/// A capability for the system actor: full scope, used by CLI commands and the demo loader.
pub fn system_cap<P: perm::Perm>(_: &SystemCap, account: AccountId) -> Cap<P> {
    Cap {
        account,
        scope: Scope::All,
        _p: PhantomData,
    }
}

/// Username rules: 3–32 characters of ASCII letters, digits, `.`, `-`, `_`.
pub fn parse_username(input: &str) -> Result<String, crate::FieldError> {
    let s = input.trim().to_lowercase();
    if (3..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        Ok(s)
    } else {
        Err(crate::FieldError::new(
            "username",
            crate::text::USERNAME_INVALID,
        ))
    }
}

/// Minimum password length (ASVS 5.0 V6.2.1 asks for at least 8; we ask 10 for staff use).
pub const PASSWORD_MIN_CHARS: usize = 10;

pub fn check_new_password(pw: &str, confirm: &str) -> Result<(), crate::FieldError> {
    if pw.chars().count() < PASSWORD_MIN_CHARS {
        return Err(
            crate::FieldError::new("password", crate::text::PASSWORD_SHORT)
                .arg("min", PASSWORD_MIN_CHARS),
        );
    }
    if pw != confirm {
        return Err(crate::FieldError::new(
            "confirm",
            crate::text::PASSWORD_MISMATCH,
        ));
    }
    Ok(())
}

crate::kit::coded!(
    /// Where a request to bind an account to a member stands: waiting for the code from
    /// the member's phone, confirmed (the account now acts as the member), or void (expired,
    /// too many wrong codes, or replaced by a newer request).
    LinkStatus, "link-status", {
    Pending = "pending" ["待确认"],
    Confirmed = "confirmed" ["已确认"],
    Void = "void" ["已作废"],
});

/// Binding an account to a member who holds a personal role (a delegate mandate): the
/// member confirms with a code sent to the phone on the roster. These are local security
/// settings of this platform, not statutory numbers.
pub mod link {
    /// How long a confirmation code is good for (local).
    pub const CODE_HOURS: i64 = 48;
    /// Wrong codes before the request is void (local); with a 6-digit code, 5 guesses
    /// succeed with probability 5 in 1,000,000.
    pub const MAX_ATTEMPTS: i64 = 5;
    /// A phone number changed less than this many days ago is not yet the member's own
    /// channel (local): whoever changed it may hold that phone.
    pub const PHONE_SETTLE_DAYS: i64 = 30;

    /// A 6-digit confirmation code from 8 random bytes (the bias of the modulo is below
    /// 1 in 10^13).
    pub fn code_from_random(b: &[u8; 8]) -> String {
        format!("{:06}", u64::from_le_bytes(*b) % 1_000_000)
    }

    /// The code as typed: full-width digits and spaces accepted; `None` unless 6 digits.
    pub fn parse_code(s: &str) -> Option<String> {
        let digits: String = crate::roster::normalize(s)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
    }
}

/// Accounts and grants (roles are labelled through `role-*` keys, not as a coded enum; the
/// link requests' states are).
pub static AREA: crate::area::Area = crate::area::Area {
    name: "auth",
    enums: &[crate::area::CodedEnum::of::<LinkStatus>()],
};

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;

    #[test]
    fn a_link_code_is_six_digits_however_a_phone_shows_it() {
        assert_eq!(link::parse_code("０１２ ３４５").as_deref(), Some("012345"));
        assert_eq!(link::parse_code(" 012-345 ").as_deref(), Some("012345"));
        assert_eq!(link::parse_code("01234"), None);
        assert_eq!(link::parse_code("0123456"), None);
        assert_eq!(link::parse_code("01234a"), None);
        assert_eq!(link::code_from_random(&[0; 8]), "000000");
        assert_eq!(link::code_from_random(&[255; 8]).len(), 6);
    }

    fn actor(grants: &[(Role, i64)]) -> Actor {
        Actor {
            account: AccountId(1),
            username: "u".into(),
            display_name: "U".into(),
            member: None,
            grants: grants
                .iter()
                .map(|(role, unit)| Grant {
                    role: *role,
                    org_unit: OrgUnitId(*unit),
                })
                .collect(),
        }
    }

    /// The policy table, row by row: (role, permission, allowed).
    #[test]
    fn the_policy_table_holds() {
        let table: &[(Role, Permission, bool)] = &[
            (Role::PlatformAdmin, P::AccountManage, true),
            (Role::UnionStaff, P::AuditView, true),
            (Role::UnionStaff, P::PersonalDataExport, true),
            (Role::AreaLead, P::MemberView, true),
            (Role::AreaLead, P::MemberEdit, false),
            (Role::AreaLead, P::PersonalDataView, false),
            (Role::SchoolChair, P::MemberEdit, true),
            (Role::SchoolChair, P::MemberImport, true),
            (Role::SchoolChair, P::PersonalDataView, true),
            (Role::SchoolChair, P::AuditView, false),
            (Role::SchoolChair, P::OrgManage, false),
            (Role::CommitteeMember, P::MemberEdit, true),
            (Role::CommitteeMember, P::PersonalDataView, false),
            (Role::CommitteeMember, P::MemberImport, false),
            (Role::FinanceOfficer, P::MemberEdit, false),
            (Role::Auditor, P::MemberView, false),
            (Role::Delegate, P::MemberView, false),
            (Role::Member, P::MemberView, false),
            (Role::Member, P::DashboardView, false),
            // Congress and proposals.
            (Role::UnionStaff, P::CongressManage, true),
            (Role::UnionStaff, P::CongressOversight, true),
            // Only the district excuses a school from its yearly meeting.
            (Role::UnionStaff, P::CongressExempt, true),
            (Role::AreaLead, P::CongressExempt, false),
            (Role::SchoolChair, P::CongressExempt, false),
            (Role::UnionStaff, P::RuleSetManage, true),
            (Role::UnionStaff, P::ProposalSubmit, false),
            (Role::UnionStaff, P::ProposalReview, false),
            (Role::UnionStaff, P::ProposalHandle, false),
            (Role::AreaLead, P::CongressView, true),
            (Role::AreaLead, P::CongressOversight, true),
            (Role::AreaLead, P::CongressManage, false),
            (Role::SchoolChair, P::CongressView, true),
            (Role::SchoolChair, P::CongressManage, true),
            (Role::SchoolChair, P::RuleSetManage, true),
            (Role::SchoolChair, P::ProposalReview, true),
            (Role::SchoolChair, P::CongressOversight, false),
            (Role::SchoolChair, P::ProposalSubmit, false),
            (Role::SchoolChair, P::ProposalHandle, false),
            (Role::CommitteeMember, P::CongressView, true),
            (Role::CommitteeMember, P::CongressManage, false),
            (Role::ProposalsCommittee, P::ProposalReview, true),
            (Role::ProposalsCommittee, P::CongressView, true),
            (Role::ProposalsCommittee, P::ProposalHandle, false),
            (Role::ProposalsCommittee, P::MemberView, false),
            (Role::HandlingDepartment, P::ProposalHandle, true),
            (Role::HandlingDepartment, P::CongressView, false),
            (Role::HandlingDepartment, P::ProposalReview, false),
            (Role::Delegate, P::ProposalSubmit, true),
            (Role::Delegate, P::ProposalSecond, true),
            (Role::Delegate, P::SuggestionSubmit, true),
            (Role::Delegate, P::CongressView, false),
            (Role::Delegate, P::ProposalReview, false),
            (Role::Member, P::SuggestionSubmit, true),
            (Role::Member, P::CongressAttend, true),
            (Role::Delegate, P::CongressAttend, true),
            (Role::HandlingDepartment, P::CongressAttend, true),
            (Role::SchoolChair, P::CongressAttend, true),
            (Role::FinanceOfficer, P::CongressAttend, false),
            (Role::Member, P::ProposalSubmit, false),
            (Role::Member, P::ProposalSecond, false),
            (Role::FinanceOfficer, P::CongressView, false),
            (Role::Auditor, P::CongressView, false),
            // Assistance: the school's committee drafts, its chair confirms, the district's
            // staff see their schools; nobody else reads a hardship file.
            (Role::CommitteeMember, P::AssistanceView, true),
            (Role::CommitteeMember, P::AssistanceDraft, true),
            (Role::CommitteeMember, P::AssistanceConfirm, false),
            (Role::SchoolChair, P::AssistanceConfirm, true),
            (Role::SchoolChair, P::AssistanceView, true),
            (Role::UnionStaff, P::AssistanceView, true),
            (Role::UnionStaff, P::AssistanceConfirm, true),
            (Role::AreaLead, P::AssistanceView, false),
            (Role::FinanceOfficer, P::AssistanceView, false),
            (Role::Auditor, P::AssistanceView, false),
            (Role::ProposalsCommittee, P::AssistanceView, false),
            (Role::HandlingDepartment, P::AssistanceView, false),
            (Role::Delegate, P::AssistanceView, false),
            (Role::Member, P::AssistanceView, false),
            // Assessment: the chair self-assesses, the area lead recommends, the district
            // reviews; members and delegates see none of it.
            (Role::SchoolChair, P::HomeApply, true),
            (Role::SchoolChair, P::HomeRecommend, false),
            (Role::SchoolChair, P::AssessmentReview, false),
            (Role::AreaLead, P::HomeRecommend, true),
            (Role::AreaLead, P::HomeApply, false),
            (Role::AreaLead, P::AssessmentReview, false),
            (Role::UnionStaff, P::AssessmentReview, true),
            (Role::CommitteeMember, P::AssessmentView, false),
            (Role::Delegate, P::AssessmentView, false),
            (Role::Member, P::AssessmentView, false),
            // News, plan and summary: any member may submit news (as a registered
            // correspondent); the school's chair and committee review it; the chair and the
            // district edit the plan and draft the summary; the area lead reads the plan.
            (Role::Member, P::NewsSubmit, true),
            (Role::Member, P::NewsReview, false),
            (Role::CommitteeMember, P::NewsReview, true),
            (Role::SchoolChair, P::SummaryDraft, true),
            (Role::CommitteeMember, P::SummaryDraft, false),
            (Role::AreaLead, P::WorkPlanView, true),
            (Role::AreaLead, P::WorkPlanManage, false),
            (Role::AreaLead, P::SummaryDraft, false),
            (Role::FinanceOfficer, P::NewsReview, false),
            (Role::UnionStaff, P::SummaryDraft, true),
            // Elections: the school runs its side, only the upper union approves.
            (Role::SchoolChair, P::ElectionManage, true),
            (Role::SchoolChair, P::ElectionApprove, false),
            (Role::CommitteeMember, P::ElectionView, true),
            (Role::CommitteeMember, P::ElectionManage, false),
            (Role::AreaLead, P::ElectionView, true),
            (Role::AreaLead, P::ElectionApprove, false),
            (Role::UnionStaff, P::ElectionApprove, true),
            (Role::Delegate, P::ElectionView, false),
            (Role::Member, P::ElectionView, false),
            // Funds: the school's finance officer enters, its chair approves (never their
            // own entry: the store checks the person), the audit committee audits.
            (Role::FinanceOfficer, P::FundsEnter, true),
            (Role::FinanceOfficer, P::FundsApprove, false),
            (Role::SchoolChair, P::FundsApprove, true),
            (Role::SchoolChair, P::FundsAudit, false),
            (Role::Auditor, P::FundsAudit, true),
            (Role::Auditor, P::FundsEnter, false),
            (Role::AreaLead, P::FundsView, true),
            (Role::AreaLead, P::FundsEnter, false),
            (Role::UnionStaff, P::FundsAudit, true),
            (Role::CommitteeMember, P::FundsView, false),
            (Role::Delegate, P::FundsView, false),
            (Role::Member, P::FundsView, false),
            // Activities: every member signs up as themself; the school organises.
            (Role::Member, P::ActivityJoin, true),
            (Role::Member, P::ActivityManage, false),
            (Role::Delegate, P::ActivityJoin, true),
            (Role::CommitteeMember, P::ActivityManage, true),
            (Role::SchoolChair, P::ActivityManage, true),
            (Role::UnionStaff, P::ActivityManage, true),
            (Role::AreaLead, P::ActivityManage, false),
            (Role::FinanceOfficer, P::ActivityJoin, false),
            // Rights: members and delegates answer surveys and see nothing of them; the
            // chair and district staff run them; the committee and area lead read them.
            (Role::Member, P::SurveyAnswer, true),
            (Role::Member, P::SurveyView, false),
            (Role::Delegate, P::SurveyAnswer, true),
            (Role::Delegate, P::SurveyView, false),
            (Role::CommitteeMember, P::SurveyView, true),
            (Role::CommitteeMember, P::SurveyManage, false),
            (Role::SchoolChair, P::SurveyManage, true),
            (Role::AreaLead, P::SurveyView, true),
            (Role::AreaLead, P::SurveyManage, false),
            (Role::UnionStaff, P::SurveyManage, true),
            (Role::FinanceOfficer, P::SurveyView, false),
            (Role::Auditor, P::SurveyAnswer, false),
            // Petitions hold personal matters: the chair and district staff only.
            (Role::SchoolChair, P::PetitionHandle, true),
            (Role::UnionStaff, P::PetitionHandle, true),
            (Role::CommitteeMember, P::PetitionView, false),
            (Role::AreaLead, P::PetitionView, false),
            (Role::Member, P::PetitionView, false),
            (Role::Delegate, P::PetitionView, false),
            // Contests: staff organize, schools enter, a member may be a judge (the data
            // decides which contest), nobody else reads the entries.
            (Role::UnionStaff, P::ContestManage, true),
            (Role::SchoolChair, P::ContestManage, false),
            (Role::SchoolChair, P::ContestEnter, true),
            (Role::CommitteeMember, P::ContestEnter, true),
            (Role::AreaLead, P::ContestEnter, false),
            (Role::AreaLead, P::ContestView, true),
            (Role::Member, P::ContestJudge, true),
            (Role::Member, P::ContestView, false),
            (Role::Delegate, P::ContestJudge, false),
            (Role::FinanceOfficer, P::ContestView, false),
        ];
        for (role, p, allowed) in table {
            assert_eq!(role_permits(*role, *p), *allowed, "{role:?} {p:?}");
        }
    }

    #[test]
    fn a_capability_covers_exactly_the_permitting_grants() {
        let a = actor(&[
            (Role::SchoolChair, 10),
            (Role::AreaLead, 3),
            (Role::Delegate, 11),
        ]);
        let view = a.authorize::<perm::MemberView>().unwrap();
        assert_eq!(
            view.scope(),
            &Scope::Subtrees(vec![OrgUnitId(10), OrgUnitId(3)])
        );
        let edit = a.authorize::<perm::MemberEdit>().unwrap();
        assert_eq!(edit.scope(), &Scope::Subtrees(vec![OrgUnitId(10)]));
        assert!(a.authorize::<perm::AuditView>().is_err());
    }

    #[test]
    fn a_member_without_staff_roles_gets_no_capability() {
        let a = actor(&[(Role::Member, 10)]);
        for p in [P::MemberView, P::OrgView, P::DashboardView] {
            assert!(!a.may(p));
        }
        assert!(a.authorize::<perm::MemberView>().is_err());
    }

    #[test]
    fn platform_admins_have_the_whole_installation() {
        let a = actor(&[(Role::PlatformAdmin, 1)]);
        assert_eq!(
            a.authorize::<perm::PersonalDataExport>().unwrap().scope(),
            &Scope::All
        );
        assert!(a.requires_totp());
    }

    #[test]
    fn grants_cannot_be_escalated() {
        assert!(!may_grant(Role::UnionStaff, Role::PlatformAdmin));
        assert!(may_grant(Role::UnionStaff, Role::SchoolChair));
        assert!(!may_grant(Role::SchoolChair, Role::SchoolChair));
        assert!(!may_grant(Role::SchoolChair, Role::UnionStaff));
        assert!(may_grant(Role::SchoolChair, Role::Delegate));
        assert!(!may_grant(Role::AreaLead, Role::Member));
        let chair = actor(&[(Role::SchoolChair, 10)]);
        assert!(!chair.grantable_roles().contains(&Role::SchoolChair));
    }

    #[test]
    fn a_chair_reaches_an_account_only_when_every_grant_is_its_own_to_give() {
        let chair = actor(&[(Role::SchoolChair, 10)]);
        let held = |role, under: &[i64]| HeldGrant {
            role,
            under: under.iter().map(|u| OrgUnitId(*u)).collect(),
        };
        assert!(chair.reaches(&[held(Role::Delegate, &[10, 1])]));
        // An area lead with one member grant in the school stays out of reach.
        assert!(!chair.reaches(&[held(Role::Member, &[10, 1]), held(Role::AreaLead, &[3, 1])]));
        // So does another chair of the same school, and an account without grants.
        assert!(!chair.reaches(&[held(Role::SchoolChair, &[10, 1])]));
        assert!(!chair.reaches(&[]));
        // A member of another school too.
        assert!(!chair.reaches(&[held(Role::Member, &[11, 1])]));
        let staff = actor(&[(Role::UnionStaff, 1)]);
        assert!(staff.reaches(&[held(Role::Member, &[10, 1]), held(Role::AreaLead, &[3, 1])]));
        assert!(!staff.reaches(&[held(Role::PlatformAdmin, &[1])]));
    }

    #[test]
    fn usernames_and_passwords_follow_the_rules() {
        assert_eq!(parse_username(" Chair.01 ").unwrap(), "chair.01");
        assert!(parse_username("张三").is_err());
        assert!(parse_username("ab").is_err());
        assert!(check_new_password("short", "short").is_err());
        assert_eq!(
            check_new_password("long enough pw", "other")
                .unwrap_err()
                .field,
            "confirm"
        );
        assert!(check_new_password("long enough pw", "long enough pw").is_ok());
    }
}
