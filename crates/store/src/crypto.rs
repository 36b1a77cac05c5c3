//! Encryption at rest and blind indexes for personal information (PIPL): ID numbers,
//! phones, incomes, health and hardship details, TOTP secrets, staged import files.
//!
//! One master key (32 random bytes, base64 in a key file or the `JIAOGONG_KEY` variable,
//! never in the database) derives three keys with HKDF-SHA256: AES-256-GCM for values, HMAC
//! for blind indexes (exact lookups without decrypting), HMAC for the audit chain. Each
//! ciphertext names the key that made it, so that `jiaogong key rotate` can re-encrypt
//! under a new key while the old one still reads.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

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
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher(key {:02x})", self.current.id)
    }
}

const VERSION: u8 = 1;

impl Cipher {
    pub fn new(master: &[u8; 32]) -> Cipher {
        Cipher {
            current: Arc::new(KeySet::derive(master)),
            older: Arc::new(Vec::new()),
        }
    }

    /// A cipher that writes with `new` and still reads what `old` wrote.
    pub fn rotating(new: &[u8; 32], old: &[u8; 32]) -> Cipher {
        Cipher {
            current: Arc::new(KeySet::derive(new)),
            older: Arc::new(vec![KeySet::derive(old)]),
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

    /// `[version][key id][nonce 12][ciphertext + tag]`.
    pub fn encrypt(&self, field: Field, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .current
            .enc
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: field.label(),
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(2 + 12 + ct.len());
        out.push(VERSION);
        out.push(self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn encrypt_str(&self, field: Field, plain: &str) -> Vec<u8> {
        self.encrypt(field, plain.as_bytes())
    }

    pub fn decrypt(&self, field: Field, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < 2 + 12 + 16 || data[0] != VERSION {
            return Err(CryptoError::Decrypt);
        }
        let id = data[1];
        let keys = std::iter::once(&*self.current)
            .chain(self.older.iter())
            .find(|k| k.id == id)
            .ok_or(CryptoError::UnknownKey(id))?;
        let nonce: [u8; 12] = data[2..14].try_into().map_err(|_| CryptoError::Decrypt)?;
        keys.enc
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &data[14..],
                    aad: field.label(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }

    pub fn decrypt_str(&self, field: Field, data: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(field, data)?).map_err(|_| CryptoError::Decrypt)
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

    #[test]
    fn values_round_trip_and_are_bound_to_their_field() {
        let c = Cipher::new(&[7u8; 32]);
        let ct = c.encrypt_str(Field::IdNumber, "11010519491231002X");
        assert!(!ct.windows(8).any(|w| w == b"19491231"));
        assert_eq!(
            c.decrypt_str(Field::IdNumber, &ct).ok().as_deref(),
            Some("11010519491231002X")
        );
        assert!(c.decrypt_str(Field::Phone, &ct).is_err());
    }

    #[test]
    fn a_wrong_key_cannot_decrypt() {
        let a = Cipher::new(&[1u8; 32]);
        let b = Cipher::new(&[2u8; 32]);
        let ct = a.encrypt_str(Field::Phone, "13812345678");
        assert!(b.decrypt_str(Field::Phone, &ct).is_err());
        assert_ne!(a.key_check(), b.key_check());
    }

    #[test]
    fn a_rotating_cipher_reads_old_values() {
        let old = Cipher::new(&[1u8; 32]);
        let ct = old.encrypt_str(Field::Phone, "13812345678");
        let rot = Cipher::rotating(&[2u8; 32], &[1u8; 32]);
        assert_eq!(
            rot.decrypt_str(Field::Phone, &ct).ok().as_deref(),
            Some("13812345678")
        );
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
