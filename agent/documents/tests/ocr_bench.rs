//! Throughput measurement, not a pass/fail test (no timed assertions): one A4 200-dpi statement
//! page in English and Chinese, recognised by `ocr_pages` with 2 threads and by the `tesseract`
//! CLI with `OMP_THREAD_LIMIT=1`. Run with
//! `cargo test --release -p docket-documents --test ocr_bench -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ocr_support;

use docket_documents::DigitiseOptions;
use docket_documents::ocr::ocr_pages;
use ocr_support::{Canvas, cjk_font};
use std::process::Command;
use std::time::Instant;

/// A full page: title, account block and 30 transaction rows with CJK and Latin text.
fn statement_page() -> Canvas {
    let font = cjk_font();
    let mut c = Canvas::a4(200.0);
    c.text(
        &font,
        16.0,
        60.0,
        70.0,
        "银行账户交易明细 Account Statement",
    );
    c.text(
        &font,
        10.0,
        60.0,
        95.0,
        "户名：张伟  账号 6222 0210 0123 4567  币种 CNY",
    );
    let cols = [40.0, 115.0, 175.0, 300.0, 380.0, 460.0];
    let hdr = ["交易日期", "摘要", "对方户名", "收入", "支出", "余额"];
    for (t, x) in hdr.iter().zip(cols) {
        c.text(&font, 10.0, x, 125.0, t);
    }
    let names = [
        "上海星辰科技",
        "张伟",
        "北京华联超市",
        "中国银行",
        "Acme Trading Ltd",
    ];
    let memos = ["工资", "转账", "消费", "利息", "Payment"];
    let mut bal = 2_050_000i64; // cents
    for r in 0..30 {
        let y = 150.0 + r as f32 * 22.0;
        let amt = 1_000 + (r as i64 * 7_919) % 250_000;
        let income = r % 3 == 0;
        bal += if income { amt } else { -amt };
        let money = |cents: i64| {
            let s = format!("{}", cents / 100);
            let mut g = String::new();
            for (i, ch) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    g.push(',');
                }
                g.push(ch);
            }
            format!("{g}.{:02}", cents % 100)
        };
        c.text(
            &font,
            10.0,
            cols[0],
            y,
            &format!("2024-03-{:02}", r % 28 + 1),
        );
        c.text(&font, 10.0, cols[1], y, memos[r % memos.len()]);
        c.text(&font, 10.0, cols[2], y, names[r % names.len()]);
        let col = if income { cols[3] } else { cols[4] };
        c.text(&font, 10.0, col, y, &money(amt));
        c.text(&font, 10.0, cols[5], y, &money(bal));
    }
    c.rotate(0.7);
    c
}

/// (own, waited-for children) CPU seconds from /proc/self/stat; CPU time is what the
/// comparison rests on when other processes share the cores.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<f64> = rest.split(' ').map(|v| v.parse().unwrap_or(0.0)).collect();
    // Fields 14-17 of proc(5), counted from field 3 here; clock ticks are 100 Hz on Linux.
    ((f[11] + f[12]) / 100.0, (f[13] + f[14]) / 100.0)
}

#[test]
#[ignore = "measurement; run explicitly with --release"]
fn seconds_per_page_ours_vs_cli() {
    let page = statement_page();
    let path = std::env::temp_dir().join("docket-ocr-bench.png");
    page.img.save(&path).unwrap();

    // CLI: one process per page, as a shell script would run it.
    let cli = |n: usize| {
        let t = Instant::now();
        let children: Vec<_> = (0..n)
            .map(|_| {
                Command::new("tesseract")
                    .arg(&path)
                    .args(["-", "-l", "eng+chi_sim", "--dpi", "200", "tsv"])
                    .env("OMP_THREAD_LIMIT", "1")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut ch in children {
            assert!(ch.wait().unwrap().success());
        }
        t.elapsed().as_secs_f64()
    };
    let opts = DigitiseOptions {
        ocr_threads: 2,
        ..DigitiseOptions::default()
    };
    let ours = |n: usize| {
        let t = Instant::now();
        let pages = ocr_pages((1..=n as u32).map(|i| page.job(i)).collect(), &opts).unwrap();
        assert!(pages.iter().all(|p| p.words.len() > 100));
        t.elapsed().as_secs_f64()
    };

    // Warm both (engine pool, page cache).
    let _ = ours(2);
    let _ = cli(1);
    let runs = 3;
    let best = |f: &dyn Fn() -> f64| (0..runs).map(|_| f()).fold(f64::MAX, f64::min);
    let cli_1 = best(&|| cli(1));
    let ours_1 = best(&|| ours(1));
    let cli_2x4 = best(&|| (cli(2) + cli(2)) / 4.0);
    let ours_2x4 = best(&|| ours(4) / 4.0);
    println!("A4 200 dpi, eng+chi_sim, 2 cores:");
    println!("  one page:    CLI {cli_1:.2} s   ours {ours_1:.2} s (warm engine)");
    println!("  4 pages/2 threads, per page: CLI {cli_2x4:.2} s   ours {ours_2x4:.2} s");
    let (own0, kids0) = cpu_seconds();
    let _ = ours(4);
    let (own1, _) = cpu_seconds();
    let _ = cli(2) + cli(2);
    let (_, kids1) = cpu_seconds();
    println!(
        "  CPU per page: CLI {:.2} s   ours {:.2} s",
        (kids1 - kids0) / 4.0,
        (own1 - own0) / 4.0
    );
    let words = ocr_pages(vec![page.job(1)], &opts).unwrap()[0].words.len();
    println!("  words on the page: {words}");
}
