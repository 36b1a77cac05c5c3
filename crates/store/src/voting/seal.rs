//! The poll key of a secret poll: made when the poll opens, its private half split among
//! the meeting's scrutineers (k of n, Shamir over GF(256) by `blahaj`) and wiped; only the
//! public half is stored. Every ballot is sealed to the public key on arrival (libsodium
//! sealed box, X25519 + XSalsa20-Poly1305, by `crypto_box`) before it reaches the
//! database; at counting, k shares rebuild the private key in memory only.
//!
//! This module owns the primitives' use: dealing, share codes, padding, sealing, and
//! rebuilding. It must never write a private key or a share anywhere (no database, no log,
//! no `Debug` output), and never hand out a plaintext ballot except to the count.
//!
//! Padding: a ballot is padded to a length fixed by the poll (its options and seats), so
//! that every ciphertext of a poll has the same length and its size says nothing about the
//! choice (how many candidates were marked, a write-in).

use crate::StoreError;
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use domain::FieldError;
use domain::text as t;
use domain::voting::PollId;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Bytes of a public or private key.
pub const KEY_LEN: usize = 32;

/// Bytes of the check appended to a share in its code (a typo or a share of another
/// poll is caught at its field, before any key is rebuilt).
const CHECK_LEN: usize = 3;

/// The alphabet of share codes: Crockford's base 32 (no I, L, O, U), read case-blind.
fn code_encoding() -> data_encoding::Encoding {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzOoIiLl");
    spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ001111");
    spec.ignore.push_str(" -\n\r\t");
    // A Specification built from constants cannot fail; keep the fallback total anyway.
    spec.encoding().unwrap_or(data_encoding::BASE32_NOPAD)
}

/// Shares needed out of `n` scrutineers: more than half of them (local rule: a majority
/// of the meeting's scrutineers counts; one scrutineer alone holds the whole key).
pub fn shares_needed(n: usize) -> usize {
    n / 2 + 1
}

/// A freshly dealt poll key: the public half to store and one share code per scrutineer,
/// to show once. The codes are wiped when this is dropped.
pub struct Dealt {
    pub public: [u8; KEY_LEN],
    pub needed: usize,
    pub codes: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for Dealt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the shares.
        write!(
            f,
            "Dealt {{ needed: {}, shares: {} }}",
            self.needed,
            self.codes.len()
        )
    }
}

fn check(poll: PollId, share: &[u8]) -> [u8; CHECK_LEN] {
    let mut h = Sha256::new();
    h.update(b"jiaogong poll share v1");
    h.update(poll.0.to_le_bytes());
    h.update(share);
    let d = h.finalize();
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(&d[..CHECK_LEN]);
    out
}

/// Groups a code in fours so a person can copy it.
fn grouped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Makes a key pair for `poll` and splits its private half into `n` shares, any
/// `shares_needed(n)` of which rebuild it. The private key is wiped before returning.
pub fn deal(poll: PollId, n: usize) -> Result<Dealt, StoreError> {
    if n == 0 || n > 255 {
        return Err(crate::congress::invalid(
            "scrutineers",
            t::VOTE_NO_SCRUTINEERS,
        ));
    }
    let needed = shares_needed(n);
    let secret = SecretKey::generate(&mut OsRng);
    let public = secret.public_key().to_bytes();
    let bytes = Zeroizing::new(secret.to_bytes());
    drop(secret);
    let sharks = blahaj::Sharks(u8::try_from(needed).unwrap_or(u8::MAX));
    let enc = code_encoding();
    let codes = sharks
        .dealer(&bytes[..])
        .take(n)
        .map(|share| {
            let mut raw = Zeroizing::new(Vec::<u8>::from(&share));
            let c = check(poll, &raw);
            raw.extend_from_slice(&c);
            Zeroizing::new(grouped(&enc.encode(&raw)))
        })
        .collect();
    Ok(Dealt {
        public,
        needed,
        codes,
    })
}

/// The private key rebuilt from shares, in memory only; wiped when dropped.
pub struct Opener(SecretKey);

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener(..)")
    }
}

/// Rebuilds the private key of `poll` from share codes. Each code is checked on its own
/// first (a typo, or a code of another poll, is refused at its field `share{i}`); then the
/// key rebuilt from them must match the stored public key, or the shares do not belong
/// together.
pub fn rebuild(
    poll: PollId,
    public: &[u8; KEY_LEN],
    needed: usize,
    codes: &[&str],
) -> Result<Opener, StoreError> {
    let enc = code_encoding();
    let mut shares = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, code) in codes.iter().enumerate() {
        let field = SHARE_FIELDS.get(i).copied().unwrap_or("share");
        if code.trim().is_empty() {
            continue;
        }
        let raw = Zeroizing::new(enc.decode(code.trim().as_bytes()).unwrap_or_default());
        let ok = raw.len() == 1 + KEY_LEN + CHECK_LEN && {
            let (share, c) = raw.split_at(1 + KEY_LEN);
            check(poll, share) == c
        };
        if !ok {
            errors.push(FieldError::new(field, t::VOTE_SHARE_INVALID));
            continue;
        }
        if !seen.insert(raw[0]) {
            errors.push(FieldError::new(field, t::VOTE_SHARE_TWICE));
            continue;
        }
        match blahaj::Share::try_from(&raw[..1 + KEY_LEN]) {
            Ok(s) => shares.push(s),
            Err(_) => errors.push(FieldError::new(field, t::VOTE_SHARE_INVALID)),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(domain::FieldErrors(errors)));
    }
    if shares.len() < needed {
        return Err(crate::congress::invalid_with(
            FieldError::new("share0", t::VOTE_SHARES_TOO_FEW)
                .arg("needed", needed)
                .arg("given", shares.len()),
        ));
    }
    let sharks = blahaj::Sharks(u8::try_from(needed).unwrap_or(u8::MAX));
    let mut bytes = sharks
        .recover(shares.iter())
        .map_err(|_| crate::congress::invalid("share0", t::VOTE_SHARES_MISMATCH))?;
    let mut key = [0u8; KEY_LEN];
    if bytes.len() == KEY_LEN {
        key.copy_from_slice(&bytes);
    }
    bytes.zeroize();
    let secret = SecretKey::from_bytes(key);
    key.zeroize();
    if secret.public_key().as_bytes() != public {
        return Err(crate::congress::invalid("share0", t::VOTE_SHARES_MISMATCH));
    }
    Ok(Opener(secret))
}

/// Names of the share fields on the counting form, in order.
pub const SHARE_FIELDS: [&str; 8] = [
    "share0", "share1", "share2", "share3", "share4", "share5", "share6", "share7",
];

/// Plaintext length every ballot of a poll is padded to: enough for every option marked
/// and every seat written in, rounded up to 256 bytes, so it depends on the poll only.
pub fn padded_len(options: usize, seats: u32) -> usize {
    let need = 64 + 48 * options + 32 * seats as usize;
    need.div_ceil(256) * 256
}

/// Seals an encoded ballot to the poll's public key; the result is text for the
/// `poll_ballot.content` column (base64 of the sealed box).
pub fn seal(public: &[u8; KEY_LEN], ballot: &str, pad_to: usize) -> Result<String, StoreError> {
    let b = ballot.as_bytes();
    let len = u16::try_from(b.len()).map_err(|_| StoreError::Other("ballot too long".into()))?;
    // A ballot longer than the poll's pad (not expected) is padded to the next multiple.
    let size = (2 + b.len()).max(pad_to).div_ceil(256) * 256;
    let mut plain = Zeroizing::new(vec![0u8; size]);
    plain[..2].copy_from_slice(&len.to_be_bytes());
    plain[2..2 + b.len()].copy_from_slice(b);
    let sealed = PublicKey::from_bytes(*public)
        .seal(&mut OsRng, &plain)
        .map_err(|_| StoreError::Other("a ballot could not be sealed".into()))?;
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::STANDARD_NO_PAD.encode(sealed))
}

impl Opener {
    /// Opens one sealed ballot; `None` if it was not sealed to this key or was altered.
    pub fn open(&self, content: &str) -> Option<Zeroizing<String>> {
        use base64::Engine as _;
        let sealed = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(content)
            .ok()?;
        let plain = Zeroizing::new(self.0.unseal(&sealed).ok()?);
        let len = usize::from(u16::from_be_bytes([*plain.first()?, *plain.get(1)?]));
        let body = plain.get(2..2 + len)?;
        Some(Zeroizing::new(std::str::from_utf8(body).ok()?.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn any_two_of_three_shares_open_a_ballot_and_one_does_not() {
        let poll = PollId(7);
        let d = deal(poll, 3).unwrap();
        assert_eq!(d.needed, 2);
        let sealed = seal(&d.public, r#"{"k":"motion","c":"yes"}"#, padded_len(0, 0)).unwrap();
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            let o = rebuild(poll, &d.public, 2, &[&d.codes[a], &d.codes[b]]).unwrap();
            assert_eq!(
                o.open(&sealed).unwrap().as_str(),
                r#"{"k":"motion","c":"yes"}"#
            );
        }
        assert!(rebuild(poll, &d.public, 2, &[&d.codes[0]]).is_err());
        assert!(rebuild(poll, &d.public, 2, &[&d.codes[0], &d.codes[0]]).is_err());
    }

    #[test]
    fn a_share_of_another_poll_or_with_a_typo_is_refused_at_its_field() {
        let d = deal(PollId(1), 3).unwrap();
        let other = deal(PollId(2), 3).unwrap();
        let e = rebuild(PollId(1), &d.public, 2, &[&d.codes[0], &other.codes[1]]).unwrap_err();
        let StoreError::Invalid(f) = e else { panic!() };
        assert_eq!(
            (f.0[0].field, f.0[0].key),
            ("share1", t::VOTE_SHARE_INVALID)
        );
        let mut typo = d.codes[1].to_string();
        typo.replace_range(0..1, if typo.starts_with('A') { "B" } else { "A" });
        assert!(rebuild(PollId(1), &d.public, 2, &[&d.codes[0], &typo]).is_err());
        // Lower case and missing dashes are read the same.
        let loose = d.codes[1].replace('-', "").to_lowercase();
        assert!(rebuild(PollId(1), &d.public, 2, &[&d.codes[0], &loose]).is_ok());
    }

    /// The cost that sealing adds to every secret ballot, printed for BENCHMARKS.md; the
    /// bound is loose (a loaded shared machine), the figure is what matters.
    #[test]
    fn sealing_a_ballot_costs_far_less_than_a_millisecond() {
        let d = deal(PollId(4), 3).unwrap();
        let pad = padded_len(0, 0);
        let ballot = r#"{"k":"motion","c":"abstain"}"#;
        let n = 2000;
        let cpu = std::time::Instant::now();
        for _ in 0..n {
            seal(&d.public, ballot, pad).unwrap();
        }
        let per = cpu.elapsed() / n;
        println!("sealing one motion ballot: {per:?}");
        assert!(per < std::time::Duration::from_millis(1), "{per:?}");
    }

    #[test]
    fn every_ballot_of_a_poll_seals_to_the_same_length() {
        let d = deal(PollId(3), 2).unwrap();
        let pad = padded_len(5, 3);
        let short = seal(&d.public, "{}", pad).unwrap();
        let long = seal(&d.public, &"x".repeat(200), pad).unwrap();
        assert_eq!(short.len(), long.len());
    }
}
