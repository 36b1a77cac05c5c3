//! Masking of personal information for the screen and for exports without full-view
//! permission. What may be unmasked is decided by the policy ([`crate::auth`]); this module
//! only knows how a masked value looks.

/// `330102198001010011` → `3301**********0011`.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
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
    fn id_numbers_keep_four_characters_each_side() {
        assert_eq!(mask_id_number("330102198001010011"), "3301**********0011");
        assert_eq!(mask_id_number("1234"), "****");
    }

    #[test]
    fn phones_keep_three_and_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }
}
