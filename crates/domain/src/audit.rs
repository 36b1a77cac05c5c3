//! Audit records and their hash chain.
//!
//! Every change writes one record: who, when, what entity, the changed fields before and
//! after (personal data redacted), and the request id. Each record's `hash` is an HMAC over
//! the previous record's hash and the record's canonical form, under a key that lives in
//! the configuration, not in the database: whoever holds only the database file can neither
//! alter nor remove a record without `audit verify` noticing.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The text stored in place of a personal value that changed.
pub const REDACTED: &str = "[redacted]";

/// Field-level changes of one entity: `{"field": [before, after]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes(pub Map<String, Value>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a field when it changed (or on creation, when `before` is `None`).
    pub fn field<T: Serialize + PartialEq>(
        &mut self,
        name: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> &mut Self {
        if before != after {
            let b = before.map_or(Value::Null, |v| {
                serde_json::to_value(v).unwrap_or(Value::Null)
            });
            let a = after.map_or(Value::Null, |v| {
                serde_json::to_value(v).unwrap_or(Value::Null)
            });
            self.0.insert(name.to_string(), Value::Array(vec![b, a]));
        }
        self
    }

    /// Records that a personal field changed without its values.
    pub fn personal(&mut self, name: &str, changed: bool) -> &mut Self {
        if changed {
            self.0.insert(
                name.to_string(),
                Value::Array(vec![
                    Value::String(REDACTED.into()),
                    Value::String(REDACTED.into()),
                ]),
            );
        }
        self
    }

    /// A free note (e.g. a stated purpose of an export).
    pub fn note(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One audit record as chained. `seq` is consecutive from 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub org_unit_id: Option<i64>,
    pub changes: String,
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// The canonical text that is hashed. Timestamps are written at microsecond precision
    /// so that both engines give back exactly what was hashed.
    pub fn canonical(&self) -> String {
        // A tuple serialises as a JSON array, like `json!([...])`, without building values.
        let t = (
            self.seq,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.account_id,
            &self.actor_label,
            &self.action,
            &self.entity_type,
            self.entity_id,
            self.org_unit_id,
            &self.changes,
            &self.request_id,
        );
        serde_json::to_string(&t).unwrap_or_default()
    }
}

/// The chain link: HMAC-SHA256(key, prev_hash ‖ canonical(entry)).
pub fn chain_hash(key: &[u8], prev_hash: &[u8], entry: &AuditEntry) -> Vec<u8> {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(prev_hash);
    mac.update(entry.canonical().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The hash that precedes record 1.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// A break found by [`verify_chain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainBreak {
    /// A sequence number is missing (a record was removed).
    Gap { expected: i64, found: i64 },
    /// The stored hash does not match the record (it was altered or forged).
    Altered { seq: i64 },
    /// The chain ends before the head recorded in the database (records removed at the end).
    Truncated { head: i64, last: i64 },
    /// The head row's MAC does not match its sequence number and hash: someone without the
    /// key moved the head (to hide a removed tail).
    HeadForged { seq: i64 },
    /// The database's head lies before an anchor kept outside it: the head and the tail
    /// were rewound together (with an old head row copied back).
    Rewound { anchor: i64, head: i64 },
    /// The record at the anchor's sequence number is not the one the anchor saw.
    AnchorMismatch { seq: i64 },
}

/// The MAC of the head row: HMAC-SHA256(key, "jiaogong audit head" ‖ seq ‖ hash). Without
/// the key nobody can set the head to another record (rewind it with a removed tail).
pub fn head_mac(key: &[u8], seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(b"jiaogong audit head");
    mac.update(&seq.to_be_bytes());
    mac.update(hash);
    mac.finalize().into_bytes().to_vec()
}

/// The head as last seen outside the database: a file beside the key, or the printed
/// line an officer writes down. A later head must still contain this record unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl Anchor {
    const PREFIX: &'static str = "jiaogong-audit-anchor v1";

    /// One line: `jiaogong-audit-anchor v1 <seq> <hash in hex>`.
    pub fn format(&self) -> String {
        format!("{} {} {}", Self::PREFIX, self.seq, hex::encode(&self.hash))
    }

    /// Reads the line written by [`Anchor::format`] (surrounding blanks ignored).
    pub fn parse(text: &str) -> Option<Anchor> {
        let rest = text.trim().strip_prefix(Self::PREFIX)?.trim();
        let (seq, hash) = rest.split_once(' ')?;
        Some(Anchor {
            seq: seq.trim().parse().ok()?,
            hash: hex::decode(hash.trim()).ok()?,
        })
    }
}

/// Walks records in `seq` order and reports every break. `head` is the last sequence number
/// the database says was written.
pub fn verify_chain<'a>(
    key: &[u8],
    records: impl IntoIterator<Item = (&'a AuditEntry, &'a [u8])>,
    head: i64,
) -> (i64, Vec<ChainBreak>) {
    let mut breaks = Vec::new();
    let mut prev: Vec<u8> = GENESIS.to_vec();
    let mut expected = 1;
    let mut last = 0;
    for (entry, hash) in records {
        if entry.seq != expected {
            breaks.push(ChainBreak::Gap {
                expected,
                found: entry.seq,
            });
        }
        if chain_hash(key, &prev, entry) != hash {
            breaks.push(ChainBreak::Altered { seq: entry.seq });
        }
        prev = hash.to_vec();
        expected = entry.seq + 1;
        last = entry.seq;
    }
    if last < head {
        breaks.push(ChainBreak::Truncated { head, last });
    }
    (last, breaks)
}

/// The audit chain.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "audit",
    enums: &[],
};

#[cfg(test)]
mod tests {
    #[test]
    fn an_anchor_reads_back_what_it_wrote() {
        let a = super::Anchor {
            seq: 42,
            hash: vec![1, 2, 255],
        };
        assert_eq!(super::Anchor::parse(&format!("{}\n", a.format())), Some(a));
        assert_eq!(super::Anchor::parse("something else"), None);
    }

    #[test]
    fn the_head_mac_depends_on_the_key_the_seq_and_the_hash() {
        let m = super::head_mac(b"k", 3, b"h");
        assert_ne!(m, super::head_mac(b"k", 2, b"h"));
        assert_ne!(m, super::head_mac(b"k", 3, b"g"));
        assert_ne!(m, super::head_mac(b"j", 3, b"h"));
    }

    use super::*;

    fn entry(seq: i64) -> AuditEntry {
        AuditEntry {
            seq,
            at: DateTime::from_timestamp(1_700_000_000 + seq, 0).unwrap_or_default(),
            account_id: Some(1),
            actor_label: "admin".into(),
            action: "member.update".into(),
            entity_type: "member".into(),
            entity_id: Some(seq),
            org_unit_id: Some(3),
            changes: "{}".into(),
            request_id: None,
        }
    }

    fn chain(n: i64) -> Vec<(AuditEntry, Vec<u8>)> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|s| {
                let e = entry(s);
                let h = chain_hash(b"k", &prev, &e);
                prev = h.clone();
                (e, h)
            })
            .collect()
    }

    fn check(c: &[(AuditEntry, Vec<u8>)], head: i64) -> Vec<ChainBreak> {
        verify_chain(b"k", c.iter().map(|(e, h)| (e, h.as_slice())), head).1
    }

    #[test]
    fn the_canonical_form_is_a_json_array_of_the_fields() {
        let e = entry(7);
        assert_eq!(
            e.canonical(),
            r#"[7,"2023-11-14T22:13:27.000000Z",1,"admin","member.update","member",7,3,"{}",null]"#
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert!(check(&chain(5), 5).is_empty());
    }

    #[test]
    fn a_removed_record_is_a_gap_and_a_broken_link() {
        let mut c = chain(5);
        c.remove(2);
        let b = check(&c, 5);
        assert!(b.contains(&ChainBreak::Gap {
            expected: 3,
            found: 4
        }));
        assert!(b.contains(&ChainBreak::Altered { seq: 4 }));
    }

    #[test]
    fn an_altered_record_is_found() {
        let mut c = chain(5);
        c[1].0.changes = "{\"x\":1}".into();
        assert_eq!(check(&c, 5), vec![ChainBreak::Altered { seq: 2 }]);
    }

    #[test]
    fn a_removed_tail_is_found_against_the_head() {
        let mut c = chain(5);
        c.truncate(3);
        assert_eq!(
            check(&c, 5),
            vec![ChainBreak::Truncated { head: 5, last: 3 }]
        );
    }

    #[test]
    fn a_different_key_breaks_every_link() {
        let c = chain(2);
        let b = verify_chain(b"other", c.iter().map(|(e, h)| (e, h.as_slice())), 2).1;
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn personal_fields_are_redacted_in_changes() {
        let mut ch = Changes::new();
        ch.field("name", Some(&"张三"), Some(&"张三丰"))
            .field("post", Some(&"teacher"), Some(&"teacher"))
            .personal("id_number", true)
            .personal("phone", false);
        let s = serde_json::to_string(&ch).unwrap_or_default();
        assert!(s.contains("张三丰"));
        assert!(s.contains(REDACTED));
        assert!(!s.contains("post"));
        assert!(!s.contains("phone"));
    }
}
