//! Benchmark of issue 18: 500 honour certificates with Chinese names drawn as one PDF batch
//! (`web::contests::certificate::render`: krilla, the CJK font subset embedded once) —
//! time, size per page — against drawing one certificate in the same run (the ceiling per
//! page). Needs a CJK font (Debian `fonts-noto-cjk` or `JIAOGONG_CERTIFICATE_FONT`).
//!
//! ```sh
//! cargo run --example certificates_bench -- 500
//! ```

use std::time::Instant;
use web::contests::certificate::{CertificateText, font, render};

const FAMILY: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞",
];

fn cert(i: usize) -> CertificateText {
    let name = format!(
        "{}{}{}",
        FAMILY[i % FAMILY.len()],
        GIVEN[(i / 20) % GIVEN.len()],
        GIVEN[(i / 400 + i) % GIVEN.len()]
    );
    let code = format!("B{:03}-{:04}-{:04}", i % 1000, i, 9999 - i);
    CertificateText {
        union: "示范区教育工会".into(),
        recipient: name,
        school: format!("示范区第{}小学", i % 60 + 1),
        contest: "2026年度优秀工会积极分子".into(),
        title: String::new(),
        prize: String::new(),
        date: "2026年11月25日".into(),
        verify_url: format!("https://jiaogong.example/certificates/verify?code={code}"),
        code,
        honour: true,
    }
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let f = font()?;
    let one = vec![cert(0)];
    let t = Instant::now();
    let single = render(&f, &one)?;
    let ceiling = t.elapsed().as_secs_f64();
    let certs: Vec<CertificateText> = (0..n).map(cert).collect();
    let t = Instant::now();
    let batch = render(&f, &certs)?;
    let took = t.elapsed().as_secs_f64();
    println!(
        "one certificate: {:.2} s, {} KB",
        ceiling,
        single.len() / 1024
    );
    println!(
        "{n} certificates in one PDF: {took:.2} s (target 10 s), {} KB in all, {:.1} KB per page (target 150 KB); ratio to {n} × one: {:.2}",
        batch.len() / 1024,
        batch.len() as f64 / 1024.0 / n as f64,
        took / (ceiling * n as f64)
    );
    Ok(())
}
