//! Catalogue keys used by this crate. The web layer owns the catalogues (zh-CN and en); a
//! test there checks that every key listed in [`ALL`] exists in both, so a message added
//! here cannot be forgotten there.

macro_rules! keys {
    ($($name:ident = $key:literal),* $(,)?) => {
        $(pub const $name: &str = $key;)*
        /// Every key defined in this module.
        pub const ALL: &[&str] = &[$($key),*];
    };
}

keys! {
    REQUIRED = "err-required",
    TOO_LONG = "err-too-long",
    ID_LENGTH = "err-id-length",
    ID_CHARS = "err-id-chars",
    ID_REGION = "err-id-region",
    ID_BIRTH = "err-id-birth",
    ID_CHECK_DIGIT = "err-id-check-digit",
    ID_AS_NUMBER = "err-id-as-number",
    ID_GENDER_MISMATCH = "err-id-gender-mismatch",
    ID_BIRTH_MISMATCH = "err-id-birth-mismatch",
    PHONE_INVALID = "err-phone-invalid",
    DATE_INVALID = "err-date-invalid",
    DATE_FUTURE = "err-date-future",
    DATE_TOO_OLD = "err-date-too-old",
    JOIN_BEFORE_BIRTH = "err-join-before-birth",
    CHOICE_INVALID = "err-choice-invalid",
    NUMBER_INVALID = "err-number-invalid",
    CODE_INVALID = "err-code-invalid",
    SCHOOL_UNKNOWN = "err-school-unknown",
    SCHOOL_OUT_OF_SCOPE = "err-school-out-of-scope",
    BRANCH_UNKNOWN = "err-branch-unknown",
    ID_DUPLICATE_IN_FILE = "err-id-duplicate-in-file",
    ID_EXISTS = "err-id-exists",
    MEMBER_OTHER_SCHOOL = "err-member-other-school",
    PASSWORD_SHORT = "err-password-short",
    PASSWORD_MISMATCH = "err-password-mismatch",
    USERNAME_INVALID = "err-username-invalid",
    USERNAME_TAKEN = "err-username-taken",
    ROLE_NOT_GRANTABLE = "err-role-not-grantable",
    TOTP_INVALID = "err-totp-invalid",
    PURPOSE_REQUIRED = "err-purpose-required",
    SAME_SCHOOL = "err-same-school",
    STATUS_TRANSITION = "err-status-transition",
    ORG_PARENT_KIND = "err-org-parent-kind",
}
