//! Masking of personal information for the screen and for exports without full-view
//! permission. What may be unmasked is decided by the policy ([`crate::auth`]); this module
//! only knows how a masked value looks.

/// `330102198001010011` → `**************0011`: the last four characters only. The first
/// four (the region) beside the birth date and the check digit left about ten candidates
/// for the whole number, which one exact search then confirmed; so the head is hidden too,
/// and masked views show no birth date beside it.
pub fn mask_id_number(s: &str) -> String {
    mask_all_but_last_four(s)
}

/// `13812345678` → `*******5678`: the last four digits only.
pub fn mask_phone(s: &str) -> String {
    mask_all_but_last_four(s)
}

fn mask_all_but_last_four(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    // Short values are hidden whole: four of five characters would say almost everything.
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{tail}", "*".repeat(chars.len() - 4))
}

/// Classes of personal information that are encrypted at rest and masked on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalField {
    IdNumber,
    Phone,
    Income,
    Health,
    Hardship,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_show_only_the_last_four_characters() {
        assert_eq!(mask_id_number("330102198001010011"), "**************0011");
        assert_eq!(mask_id_number("1234"), "****");
    }

    #[test]
    fn phones_show_only_the_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "*******5678");
    }
}
