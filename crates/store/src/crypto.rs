//! Encryption at rest and blind indexes for personal information (PIPL): ID numbers,
//! phones, incomes, health and hardship details, TOTP secrets, staged import files.
//!
//! One master key (32 random bytes, base64 in a key file or the `JIAOGONG_KEY` variable,
//! never in the database) derives three keys with HKDF-SHA256: AES-256-GCM for values, HMAC
//! for blind indexes (exact lookups without decrypting), HMAC for the audit chain. Each
//! ciphertext names the key that made it, so that `jiaogong key rotate` can re-encrypt
//! under a new key while the old one still reads.
//!
//! Every stored ciphertext is also bound to its place: the table, column and row key of
//! the [`EncryptedColumn`](crate::area::EncryptedColumn) that holds it ([`Slot`]). Someone
//! with write access to the database who copies member A's ID number into member B's row
//! gets an integrity error when B is read, never A's number shown as B's. Values written
//! before rows were bound (format 1, bound to the field only) are still read until `key
//! rotate` has rewritten every value in format 2; from then on the database refuses them.
//! This module never decides who may read a value; callers hold the capability.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a value is; bound into each ciphertext (as associated data) and each blind index,
/// so a ciphertext cannot be moved to another column and indexes of different fields never
/// collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    IdTail,
    Phone,
    PhoneTail,
    Income,
    Health,
    Hardship,
    TotpSecret,
    ImportFile,
    /// A group robot's webhook URL (it carries the robot's key) and signing secret.
    RobotSecret,
    /// The confirmation code of a request to bind an account to a member (sealed until
    /// sent; its check value is a keyed index).
    LinkCode,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::IdNumber => b"id_number",
            Field::IdTail => b"id_tail",
            Field::Phone => b"phone",
            Field::PhoneTail => b"phone_tail",
            Field::Income => b"income",
            Field::Health => b"health",
            Field::Hardship => b"hardship",
            Field::TotpSecret => b"totp_secret",
            Field::ImportFile => b"import_file",
            Field::RobotSecret => b"robot_secret",
            Field::LinkCode => b"link_code",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the key file {path} cannot be read: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("the key is not 32 bytes of base64")]
    KeyFormat,
    #[error("a value could not be decrypted (wrong key or altered data)")]
    Decrypt,
    #[error("a value was encrypted with key {0:02x}, which is not loaded")]
    UnknownKey(u8),
    #[error(
        "the stored value in {table}.{column} of row {key} does not belong to that row (copied from another row or altered); it was not read"
    )]
    Misplaced {
        table: &'static str,
        column: &'static str,
        key: i64,
    },
    #[error(
        "the stored value in {table}.{column} of row {key} is in the old format not bound to its row, which this database no longer accepts (it was copied in after `key rotate`)"
    )]
    Unbound {
        table: &'static str,
        column: &'static str,
        key: i64,
    },
}

/// Where a ciphertext is stored: its field, table, column and the row's key. Bound into
/// the ciphertext as associated data (format 2), so it opens only in that place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub field: Field,
    pub table: &'static str,
    pub column: &'static str,
    pub key: i64,
}

impl Slot {
    fn aad(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(64);
        a.extend_from_slice(b"jiaogong slot\0");
        a.extend_from_slice(self.field.label());
        a.push(0);
        a.extend_from_slice(self.table.as_bytes());
        a.push(0);
        a.extend_from_slice(self.column.as_bytes());
        a.push(0);
        a.extend_from_slice(&self.key.to_be_bytes());
        a
    }
}

struct KeySet {
    id: u8,
    enc: Aes256Gcm,
    idx: [u8; 32],
    audit: [u8; 32],
}

impl KeySet {
    fn derive(master: &[u8; 32]) -> KeySet {
        let hk = Hkdf::<Sha256>::new(Some(b"jiaogong"), master);
        let mut enc = [0u8; 32];
        let mut idx = [0u8; 32];
        let mut audit = [0u8; 32];
        // expand() fails only when asking for more than 255 blocks; 32 bytes is one.
        let _ = hk.expand(b"enc v1", &mut enc);
        let _ = hk.expand(b"index v1", &mut idx);
        let _ = hk.expand(b"audit v1", &mut audit);
        let id = Sha256::digest(master)[0];
        KeySet {
            id,
            enc: Aes256Gcm::new(&Key::<Aes256Gcm>::from(enc)),
            idx,
            audit,
        }
    }
}

/// The loaded keys. Cheap to clone.
#[derive(Clone)]
pub struct Cipher {
    current: Arc<KeySet>,
    /// Keys that may still have encrypted stored values (during a rotation).
    older: Arc<Vec<KeySet>>,
    /// Whether values in format 1 (bound to their field only) are still read: true until
    /// the database records that `key rotate` has rewritten them all (or it was created
    /// after rows were bound). Shared by every clone.
    unbound_allowed: Arc<AtomicBool>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher(key {:02x})", self.current.id)
    }
}

/// Format 1: bound to the field only (read, never written).
const V_FIELD: u8 = 1;
/// Format 2: bound to the slot (field, table, column, row key).
const V_SLOT: u8 = 2;

impl Cipher {
    pub fn new(master: &[u8; 32]) -> Cipher {
        Cipher {
            current: Arc::new(KeySet::derive(master)),
            older: Arc::new(Vec::new()),
            unbound_allowed: Arc::new(AtomicBool::new(true)),
        }
    }

    /// A cipher that writes with `new` and still reads what `old` wrote.
    pub fn rotating(new: &[u8; 32], old: &[u8; 32]) -> Cipher {
        Cipher {
            current: Arc::new(KeySet::derive(new)),
            older: Arc::new(vec![KeySet::derive(old)]),
            unbound_allowed: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Parses a key given as base64 text (the key file's content or an env variable).
    pub fn parse_key(text: &str) -> Result<[u8; 32], CryptoError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::KeyFormat)?;
        bytes.try_into().map_err(|_| CryptoError::KeyFormat)
    }

    pub fn read_key_file(path: &Path) -> Result<[u8; 32], CryptoError> {
        let text = std::fs::read_to_string(path).map_err(|e| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse_key(&text)
    }

    pub fn generate_key() -> [u8; 32] {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    }

    pub fn encode_key(key: &[u8; 32]) -> String {
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Writes a new random key to `path`, readable by the owner only. Refuses to overwrite.
    pub fn create_key_file(path: &Path) -> Result<[u8; 32], CryptoError> {
        let key = Self::generate_key();
        let err = |e: std::io::Error| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(err)?;
        std::io::Write::write_all(&mut f, format!("{}\n", Self::encode_key(&key)).as_bytes())
            .map_err(err)?;
        Ok(key)
    }

    /// From now on values not bound to their row (format 1) are refused (every clone).
    pub fn refuse_unbound(&self) {
        self.unbound_allowed.store(false, Ordering::Relaxed);
    }

    /// Whether values in format 1 are still read.
    pub fn reads_unbound(&self) -> bool {
        self.unbound_allowed.load(Ordering::Relaxed)
    }

    /// `[2][key id][nonce 12][ciphertext + tag]`, bound to `slot`.
    pub fn seal(&self, slot: Slot, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .current
            .enc
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &slot.aad(),
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(2 + 12 + ct.len());
        out.push(V_SLOT);
        out.push(self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn seal_str(&self, slot: Slot, plain: &str) -> Vec<u8> {
        self.seal(slot, plain.as_bytes())
    }

    /// Opens a value stored at `slot`. A value moved there from another row, column or
    /// table is [`CryptoError::Misplaced`]; a format-1 value is read only while the
    /// database still allows them ([`Cipher::reads_unbound`]).
    pub fn open(&self, slot: Slot, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < 2 + 12 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let aad = match data[0] {
            V_SLOT => slot.aad(),
            V_FIELD if self.reads_unbound() => slot.field.label().to_vec(),
            V_FIELD => {
                return Err(CryptoError::Unbound {
                    table: slot.table,
                    column: slot.column,
                    key: slot.key,
                });
            }
            _ => return Err(CryptoError::Decrypt),
        };
        let id = data[1];
        let nonce: [u8; 12] = data[2..14].try_into().map_err(|_| CryptoError::Decrypt)?;
        // The id is one byte: two keys of a rotation share it once in 256 rotations, so every
        // key with this id is tried (AES-GCM refuses the wrong one) rather than the first.
        let mut candidates = std::iter::once(&*self.current)
            .chain(self.older.iter())
            .filter(|k| k.id == id)
            .peekable();
        if candidates.peek().is_none() {
            return Err(CryptoError::UnknownKey(id));
        }
        candidates
            .find_map(|k| {
                k.enc
                    .decrypt(
                        &Nonce::from(nonce),
                        Payload {
                            msg: &data[14..],
                            aad: &aad,
                        },
                    )
                    .ok()
            })
            .ok_or(CryptoError::Misplaced {
                table: slot.table,
                column: slot.column,
                key: slot.key,
            })
    }

    pub fn open_str(&self, slot: Slot, data: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(slot, data)?).map_err(|_| CryptoError::Decrypt)
    }

    /// Whether `data` is in format 1 (bound to its field only): key rotation rewrites it.
    pub fn is_unbound(data: &[u8]) -> bool {
        data.first() == Some(&V_FIELD)
    }

    /// Keyed hash of a normalised value for exact lookup (16 bytes).
    pub fn blind_index(&self, field: Field, value: &str) -> Vec<u8> {
        Self::index_with(&self.current.idx, field, value)
    }

    fn index_with(key: &[u8; 32], field: Field, value: &str) -> Vec<u8> {
        let mut mac = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(field.label());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }

    /// The key of the audit chain.
    pub fn audit_key(&self) -> &[u8] {
        &self.current.audit
    }

    /// Audit keys of older master keys (a rotation re-signs the chain with the new one).
    pub fn older_audit_keys(&self) -> Vec<&[u8]> {
        self.older.iter().map(|k| &k.audit[..]).collect()
    }

    /// A value stored in the database to recognise the key: starting with a different key
    /// is refused before anything is written.
    pub fn key_check(&self) -> String {
        hex::encode(Self::index_with(
            &self.current.idx,
            Field::ImportFile,
            "jiaogong key check",
        ))
    }

    /// The key check of the older key of a rotating cipher.
    pub fn older_key_check(&self) -> Option<String> {
        self.older.first().map(|k| {
            hex::encode(Self::index_with(
                &k.idx,
                Field::ImportFile,
                "jiaogong key check",
            ))
        })
    }
}

/// SHA-256 of a secret token (session ids, one-time links): the database keeps only this.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random token of `bytes` bytes, URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: Slot = Slot {
        field: Field::IdNumber,
        table: "member",
        column: "id_number_enc",
        key: 1,
    };

    fn at(key: i64) -> Slot {
        Slot { key, ..ID_A }
    }

    /// Two keys whose one-byte ids are equal (found by trying keys in turn).
    fn keys_sharing_an_id() -> ([u8; 32], [u8; 32]) {
        let mut seen: std::collections::HashMap<u8, [u8; 32]> = Default::default();
        for n in 0u32.. {
            let mut k = [0u8; 32];
            k[..4].copy_from_slice(&n.to_le_bytes());
            let id = KeySet::derive(&k).id;
            if let Some(first) = seen.insert(id, k) {
                return (first, k);
            }
        }
        unreachable!("256 ids")
    }

    #[test]
    fn a_rotation_whose_new_key_shares_the_old_keys_id_still_reads_every_value() {
        // Seen as a rare failure of `key rotate`: the reader took the first key with the
        // value's id and called an intact value misplaced.
        let (old, new) = keys_sharing_an_id();
        assert_ne!(old, new);
        let stored = Cipher::new(&old).seal_str(ID_A, "11010519491231002X");
        let rotating = Cipher::rotating(&new, &old);
        assert_eq!(
            rotating.open_str(ID_A, &stored).ok().as_deref(),
            Some("11010519491231002X")
        );
        let rewritten = rotating.seal_str(ID_A, "11010519491231002X");
        assert_eq!(
            Cipher::new(&new).open_str(ID_A, &rewritten).ok().as_deref(),
            Some("11010519491231002X")
        );
        // A value moved to another row is still refused under either key.
        assert!(rotating.open_str(at(2), &stored).is_err());
    }

    #[test]
    fn values_round_trip_and_are_bound_to_their_field() {
        let c = Cipher::new(&[7u8; 32]);
        let ct = c.seal_str(ID_A, "11010519491231002X");
        assert!(!ct.windows(8).any(|w| w == b"19491231"));
        assert_eq!(
            c.open_str(ID_A, &ct).ok().as_deref(),
            Some("11010519491231002X")
        );
        let phone = Slot {
            field: Field::Phone,
            column: "phone_enc",
            ..ID_A
        };
        assert!(c.open_str(phone, &ct).is_err());
    }

    #[test]
    fn a_value_copied_to_another_row_or_column_is_refused_as_misplaced() {
        let c = Cipher::new(&[7u8; 32]);
        let ct = c.seal_str(ID_A, "11010519491231002X");
        assert!(matches!(
            c.open_str(at(2), &ct),
            Err(CryptoError::Misplaced { key: 2, .. })
        ));
        let other_column = Slot {
            column: "other_enc",
            ..ID_A
        };
        assert!(matches!(
            c.open_str(other_column, &ct),
            Err(CryptoError::Misplaced { .. })
        ));
        let other_table = Slot {
            table: "other",
            ..ID_A
        };
        assert!(c.open_str(other_table, &ct).is_err());
    }

    /// Written by the previous version (format 1, field only) under the test key
    /// `[42; 32]`: the ID number 330102198001020013.
    const V1_ID: &str = "0154f2b9fbb7231eb1ab41aef09e0411576e2c8a4098d646df137f30049723aa8f1626d9cee4b709a32978fb8a891acb";

    #[test]
    fn values_of_the_previous_format_are_read_until_refused() {
        let c = Cipher::new(&[42u8; 32]);
        let v1 = hex::decode(V1_ID).unwrap_or_default();
        assert!(Cipher::is_unbound(&v1));
        // Bound to the field only: any row reads it while format 1 is allowed…
        assert_eq!(
            c.open_str(at(9), &v1).ok().as_deref(),
            Some("330102198001020013")
        );
        // …but never another field.
        let phone = Slot {
            field: Field::Phone,
            ..ID_A
        };
        assert!(c.open_str(phone, &v1).is_err());
        let clone = c.clone();
        clone.refuse_unbound();
        assert!(matches!(
            c.open_str(at(9), &v1),
            Err(CryptoError::Unbound { key: 9, .. })
        ));
        assert!(!Cipher::is_unbound(&c.seal_str(ID_A, "x")));
    }

    #[test]
    fn a_wrong_key_cannot_decrypt() {
        let a = Cipher::new(&[1u8; 32]);
        let b = Cipher::new(&[2u8; 32]);
        let ct = a.seal_str(ID_A, "13812345678");
        assert!(b.open_str(ID_A, &ct).is_err());
        assert_ne!(a.key_check(), b.key_check());
    }

    #[test]
    fn a_rotating_cipher_reads_old_values() {
        let old = Cipher::new(&[1u8; 32]);
        let ct = old.seal_str(ID_A, "13812345678");
        let rot = Cipher::rotating(&[2u8; 32], &[1u8; 32]);
        assert_eq!(rot.open_str(ID_A, &ct).ok().as_deref(), Some("13812345678"));
    }

    #[test]
    fn blind_indexes_are_deterministic_per_field() {
        let c = Cipher::new(&[1u8; 32]);
        assert_eq!(
            c.blind_index(Field::IdTail, "1234"),
            c.blind_index(Field::IdTail, "1234")
        );
        assert_ne!(
            c.blind_index(Field::IdTail, "1234"),
            c.blind_index(Field::PhoneTail, "1234")
        );
    }
}
