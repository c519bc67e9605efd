//! Docket's side of the comparison with pyautogui / OpenCV (`benches/locate_compare.sh`).
//!
//! ```text
//! locate_compare prepare OUTDIR SYNTHETIC.png   # screenshots + anchors + OUTDIR/manifest.tsv
//! locate_compare time MANIFEST.tsv [RUNS]        # every case of the manifest
//! locate_compare SCREEN.png ANCHOR.png [RUNS]    # one screenshot, one anchor
//! locate_compare ocr SCREEN.png WORD [RUNS]      # the OCR path: Tesseract CLI word search
//! locate_compare ocr-engine SCREEN.png WORD X,Y,W,H [RUNS]  # the same in process (replay's way)
//! ```
//!
//! `prepare` writes the 1920×1080 screens both sides search: the synthetic screen of
//! `locate_bench` (saved with `locate_bench --save-screen`) and the same resized 1.25×; real
//! screenshots of the Tk form fixture on an owned 1920×1080 Xvfb, drawn at 1× and at 1.25×
//! (`form_app.py --scale 1.25`), and the 1× screenshot resized 1.25×. Anchors are cut from the 1×
//! screens only, as a recording would be. Each manifest row says where the anchor really is.
//!
//! Times are medians and 90th percentiles of RUNS (default 15) calls. A template call includes the
//! screen preparation (`Screen::new`: grayscale, blur, pyramid) and `locate`; decoding the PNGs and
//! preparing the template (done once per script) are outside. The OCR call includes starting the
//! `tesseract` process and decoding the PNG, as a CLI-based OCR signal would pay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docket_desktop::locate::locate;
use docket_desktop::{Desktop, Match, Screen, Template, X11Desktop, Xvfb};
use image::RgbaImage;
use image::imageops::{FilterType, crop_imm, resize};

const W: u32 = 1920;
const H: u32 = 1080;

fn median_p90(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let p90 = ((ms.len() - 1) as f64 * 0.9).round() as usize;
    (ms[ms.len() / 2], ms[p90])
}

/// The screen resized 1.25× and cropped back to 1920×1080 (as `locate_bench` does).
fn scaled_125(screen: &RgbaImage) -> RgbaImage {
    crop_imm(
        &resize(screen, W * 5 / 4, H * 5 / 4, FilterType::Triangle),
        0,
        0,
        W,
        H,
    )
    .to_image()
}

fn load(path: &Path) -> RgbaImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgba8()
}

/// Times `RUNS` × (screen preparation + locate); the last match.
fn time_locate(screen: &RgbaImage, template: &Template, runs: usize) -> (f64, f64, Match) {
    let mut ms = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let prepared = Screen::new(screen);
        last = locate(&prepared, template);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let (med, p90) = median_p90(ms);
    (med, p90, last.expect("template fits on the screen"))
}

/// Centre of the match within half the expected box of the expected centre.
fn right_place(m: &Match, exp: [u32; 4]) -> bool {
    let (cx, cy) = m.centre();
    let (ecx, ecy) = (
        exp[0] as f32 + exp[2] as f32 / 2.0,
        exp[1] as f32 + exp[3] as f32 / 2.0,
    );
    (cx as f32 - ecx).abs() <= exp[2] as f32 / 2.0 && (cy as f32 - ecy).abs() <= exp[3] as f32 / 2.0
}

struct Case {
    name: String,
    screen: PathBuf,
    anchor: PathBuf,
    /// Where the anchor really is (unknown for a screenshot/anchor pair given by hand).
    expected: Option<[u32; 4]>,
    /// The scale it is at on that screen.
    scale: f32,
}

fn write_manifest(path: &Path, cases: &[Case]) {
    let mut text = String::from("# case\tscreen\tanchor\tx\ty\tw\th\tscale\n");
    for c in cases {
        let [x, y, w, h] = c.expected.unwrap_or_default();
        writeln!(
            text,
            "{}\t{}\t{}\t{x}\t{y}\t{w}\t{h}\t{}",
            c.name,
            c.screen.display(),
            c.anchor.display(),
            c.scale
        )
        .unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn read_manifest(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let n = |i: usize| f[i].parse::<u32>().unwrap();
            Case {
                name: f[0].to_string(),
                screen: PathBuf::from(f[1]),
                anchor: PathBuf::from(f[2]),
                expected: Some([n(3), n(4), n(5), n(6)]),
                scale: f[7].parse().unwrap(),
            }
        })
        .collect()
}

fn scale_box(b: [u32; 4], s: f32) -> [u32; 4] {
    b.map(|v| (v as f32 * s).round() as u32)
}

/// Synthetic cases: anchors of typical sizes cut the way `locate_bench` cuts them.
fn synthetic_cases(out: &Path, synthetic: &Path, cases: &mut Vec<Case>) {
    let screen = load(synthetic);
    assert_eq!(screen.dimensions(), (W, H), "{}", synthetic.display());
    let s1 = out.join("synthetic.png");
    if synthetic != s1 {
        screen.save(&s1).unwrap();
    }
    let s125 = out.join("synthetic-r125.png");
    scaled_125(&screen).save(&s125).unwrap();
    for (w, h) in [(24u32, 24u32), (80, 26), (160, 40), (300, 60)] {
        let Some((x, y, crop)) = (0..200u32).find_map(|i| {
            let (x, y) = (600 + (i * 37) % 600, 300 + (i * 23) % 400);
            let crop = crop_imm(&screen, x, y, w, h).to_image();
            Template::new(&crop).map(|_| (x, y, crop))
        }) else {
            eprintln!("{w}x{h}: no crop with contrast, skipped");
            continue;
        };
        let anchor = out.join(format!("anchor-synthetic-{w}x{h}.png"));
        crop.save(&anchor).unwrap();
        cases.push(Case {
            name: format!("synthetic {w}x{h} @1.00"),
            screen: s1.clone(),
            anchor: anchor.clone(),
            expected: Some([x, y, w, h]),
            scale: 1.0,
        });
        cases.push(Case {
            name: format!("synthetic {w}x{h} @1.25 (resized screen)"),
            screen: s125.clone(),
            anchor,
            expected: Some(scale_box([x, y, w, h], 1.25)),
            scale: 1.25,
        });
    }
}

fn python_with_tk() -> &'static str {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import tkinter"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("a python3 with tkinter (python3-tk)")
}

/// Starts the Tk fixture on `display`, waits for its widget boxes, captures the screen once the
/// Save button has drawn, and kills the app.
fn tk_screenshot(
    desk: &mut X11Desktop,
    display: &str,
    dir: &Path,
    extra: &[&str],
) -> (RgbaImage, BTreeMap<String, [u32; 4]>) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/form_app.py");
    let geometry = dir.join(format!("geometry{}.txt", extra.join("")));
    let _ = std::fs::remove_file(&geometry);
    let mut app = Command::new(python_with_tk())
        .arg(&fixture)
        .arg("--out")
        .arg(dir.join("unused.csv"))
        .arg("--geometry")
        .arg(&geometry)
        .args(["--at", "700,400"])
        .args(extra)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .spawn()
        .expect("start form_app.py");
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&geometry) {
            break t;
        }
        assert!(Instant::now() < deadline, "form_app.py did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let boxes: BTreeMap<String, [u32; 4]> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n: Vec<u32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    let save = boxes["save"];
    let shot = loop {
        let shot = desk.capture().unwrap();
        let face = crop_imm(&shot, save[0] + 4, save[1] + 4, save[2] - 8, save[3] - 8).to_image();
        if Template::new(&face).is_some() {
            // One more frame so that everything else has drawn too.
            std::thread::sleep(Duration::from_millis(300));
            break desk.capture().unwrap();
        }
        assert!(Instant::now() < deadline, "form never drew");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = app.kill();
    let _ = app.wait();
    (shot, boxes)
}

/// The anchors a recording of the Tk form uses (see `tests/replay_form.rs`), per widget boxes.
fn tk_anchor_boxes(b: &BTreeMap<String, [u32; 4]>, inset: u32) -> Vec<(&'static str, [u32; 4])> {
    let s = b["save"];
    let label = b["counterparty_label"];
    let entry = b["counterparty"];
    vec![
        ("date-label", b["date_label"]),
        (
            "save-face",
            [
                s[0] + inset,
                s[1] + inset,
                s[2] - 2 * inset,
                s[3] - 2 * inset,
            ],
        ),
        (
            "counterparty-field",
            [label[0], entry[1], entry[0] + entry[2] - label[0], entry[3]],
        ),
    ]
}

fn tk_cases(out: &Path, cases: &mut Vec<Case>) {
    let xvfb = Xvfb::start(W, H).expect("Xvfb 1920x1080");
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    let (shot1, g1) = tk_screenshot(&mut desk, xvfb.display(), out, &[]);
    let (shot125, g125) = tk_screenshot(&mut desk, xvfb.display(), out, &["--scale", "1.25"]);
    let (p1, p125, r125) = (
        out.join("tk.png"),
        out.join("tk-s125.png"),
        out.join("tk-r125.png"),
    );
    shot1.save(&p1).unwrap();
    shot125.save(&p125).unwrap();
    scaled_125(&shot1).save(&r125).unwrap();
    let at_125 = tk_anchor_boxes(&g125, 5);
    for (i, (name, b)) in tk_anchor_boxes(&g1, 4).into_iter().enumerate() {
        let anchor = out.join(format!("anchor-tk-{name}.png"));
        crop_imm(&shot1, b[0], b[1], b[2], b[3])
            .to_image()
            .save(&anchor)
            .unwrap();
        cases.push(Case {
            name: format!("tk {name} @1.00"),
            screen: p1.clone(),
            anchor: anchor.clone(),
            expected: Some(b),
            scale: 1.0,
        });
        cases.push(Case {
            name: format!("tk {name} @1.25 (app drawn at 1.25)"),
            screen: p125.clone(),
            anchor: anchor.clone(),
            expected: Some(at_125[i].1),
            scale: 1.25,
        });
        cases.push(Case {
            name: format!("tk {name} @1.25 (resized screen)"),
            screen: r125.clone(),
            anchor,
            expected: Some(scale_box(b, 1.25)),
            scale: 1.25,
        });
    }
    // Where the OCR path should find the Counterparty label, and the form's region (its widgets
    // plus the frame's 12 px padding) for OCR limited to the window.
    let l = g1["counterparty_label"];
    std::fs::write(
        out.join("tk-counterparty-label.txt"),
        format!("{} {} {} {}\n", l[0], l[1], l[2], l[3]),
    )
    .unwrap();
    let x0 = g1.values().map(|b| b[0]).min().unwrap() - 12;
    let y0 = g1.values().map(|b| b[1]).min().unwrap() - 12;
    let x1 = g1.values().map(|b| b[0] + b[2]).max().unwrap() + 12;
    let y1 = g1.values().map(|b| b[1] + b[3]).max().unwrap() + 12;
    std::fs::write(
        out.join("tk-window.txt"),
        format!("{x0},{y0},{},{}\n", x1 - x0, y1 - y0),
    )
    .unwrap();
}

fn prepare(out: &Path, synthetic: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let mut cases = Vec::new();
    synthetic_cases(out, synthetic, &mut cases);
    tk_cases(out, &mut cases);
    let manifest = out.join("manifest.tsv");
    write_manifest(&manifest, &cases);
    println!("{} cases in {}", cases.len(), manifest.display());
}

fn time_cases(cases: &[Case], runs: usize) {
    println!(
        "docket-desktop locate, {} rayon threads, runs {runs}",
        rayon::current_num_threads()
    );
    println!("case\tmedian ms\tp90 ms\tfound\tscore\tscale (expected)\tright place\tscore >= 0.85");
    let mut screens: BTreeMap<PathBuf, (RgbaImage, f64)> = BTreeMap::new();
    for c in cases {
        if !screens.contains_key(&c.screen) {
            let img = load(&c.screen);
            let prep: Vec<f64> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(Screen::new(&img));
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            screens.insert(c.screen.clone(), (img, median_p90(prep).0));
        }
        let screen = &screens[&c.screen].0;
        let template = Template::new(&load(&c.anchor))
            .unwrap_or_else(|| panic!("{}: flat or tiny anchor", c.anchor.display()));
        let (med, p90, m) = time_locate(screen, &template, runs);
        println!(
            "{}\t{med:.1}\t{p90:.1}\t({},{})\t{:.3}\t{:.3} ({:.2})\t{}\t{}",
            c.name,
            m.x,
            m.y,
            m.score,
            m.scale,
            c.scale,
            match c.expected.map(|e| right_place(&m, e)) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            },
            if m.score >= 0.85 { "yes" } else { "no" }
        );
    }
    for (path, (_, prep)) in &screens {
        println!(
            "screen preparation {}: median {prep:.1} ms (included above)",
            path.display()
        );
    }
}

/// The OCR path: `tesseract SCREEN - --psm 11 tsv`, then the word searched in the TSV.
fn ocr(screen: &Path, word: &str, runs: usize) {
    let mut ms = Vec::with_capacity(runs);
    let mut found = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new("tesseract")
            .arg(screen)
            .args(["-", "--psm", "11", "tsv"])
            .env("OMP_THREAD_LIMIT", "1")
            .stderr(Stdio::null())
            .output()
            .expect("tesseract (tesseract-ocr)");
        let tsv = String::from_utf8_lossy(&out.stdout);
        found = tsv.lines().find_map(|row| {
            let f: Vec<&str> = row.split('\t').collect();
            (f.len() == 12 && f[0] == "5" && f[11].trim() == word)
                .then(|| format!("({},{}) {}x{} conf {}", f[6], f[7], f[8], f[9], f[10]))
        });
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let (med, p90) = median_p90(ms);
    println!(
        "ocr {} {word:?}: median {med:.0} ms, p90 {p90:.0} ms -> {}",
        screen.display(),
        found.as_deref().unwrap_or("not found")
    );
}

/// The OCR path in process, as replay reads text: `signals::read_words` (2× upscale, rules
/// erased) with `docket_documents`' Tesseract engine (started once, reused), on the whole screen
/// and on the window's region. Run with `OMP_THREAD_LIMIT=1` in the environment.
fn ocr_engine(screen: &Path, word: &str, window: [u32; 4], runs: usize) {
    let shot = load(screen);
    let start = Instant::now();
    let mut engine = docket_documents::ocr::TesseractEngine::new("eng").expect("Tesseract engine");
    println!(
        "engine start (once per process): {:.0} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let (w, h) = shot.dimensions();
    for (what, rect) in [("whole screen", [0, 0, w, h]), ("window region", window)] {
        let mut ms = Vec::with_capacity(runs);
        let mut found = None;
        let mut read = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let words =
                docket_desktop::signals::read_words(&mut engine, "eng", &shot, rect).expect("OCR");
            found = words.iter().find(|x| x.text == word).cloned();
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
            read = words.into_iter().map(|x| x.text).collect();
        }
        let (med, p90) = median_p90(ms);
        println!(
            "ocr in process, {what} {rect:?} {word:?}: median {med:.0} ms, p90 {p90:.0} ms -> {}",
            found.map_or(format!("not found; read {read:?}"), |x| format!(
                "({:.0},{:.0})-({:.0},{:.0}) conf {:.2}",
                x.bbox.x0, x.bbox.y0, x.bbox.x1, x.bbox.y1, x.confidence
            ))
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = |i: usize| args.get(i).map_or(15, |r| r.parse().expect("RUNS"));
    match args.first().map(String::as_str) {
        Some("prepare") if args.len() == 3 => prepare(Path::new(&args[1]), Path::new(&args[2])),
        Some("time") if args.len() >= 2 => time_cases(&read_manifest(Path::new(&args[1])), runs(2)),
        Some("ocr") if args.len() >= 3 => ocr(Path::new(&args[1]), &args[2], runs(3)),
        Some("ocr-engine") if args.len() >= 4 => {
            let r: Vec<u32> = args[3]
                .split(',')
                .map(|v| v.parse().expect("X,Y,W,H"))
                .collect();
            ocr_engine(
                Path::new(&args[1]),
                &args[2],
                [r[0], r[1], r[2], r[3]],
                runs(4),
            );
        }
        Some(_) if args.len() >= 2 => {
            let screen = PathBuf::from(&args[0]);
            let anchor = PathBuf::from(&args[1]);
            let case = Case {
                name: format!("{} in {}", anchor.display(), screen.display()),
                screen,
                anchor,
                expected: None,
                scale: 1.0,
            };
            time_cases(std::slice::from_ref(&case), runs(2));
        }
        _ => {
            eprintln!(
                "usage: locate_compare prepare OUTDIR SYNTHETIC.png | time MANIFEST.tsv [RUNS] | SCREEN.png ANCHOR.png [RUNS] | ocr SCREEN.png WORD [RUNS] | ocr-engine SCREEN.png WORD X,Y,W,H [RUNS]"
            );
            std::process::exit(2);
        }
    }
}
