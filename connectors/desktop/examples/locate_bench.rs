//! Time to locate an anchor on a 1920×1080 screenshot (template path).
//!
//! `cargo run --release -p docket-desktop --example locate_bench [-- SCREEN.png | --save-screen OUT.png]`
//!
//! Without a screenshot, a synthetic desktop-like screen is drawn (window frames, text-like
//! strokes, buttons). Anchors of typical UI sizes are cut from it and located at scale 1 and on the
//! screen scaled to 1.25× (cropped back to 1920×1080); prints the median and worst of 15 runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use docket_desktop::locate::locate;
use docket_desktop::{Screen, Template};
use image::imageops::{FilterType, crop_imm, resize};
use image::{Rgba, RgbaImage};

fn synthetic_screen() -> RgbaImage {
    let (w, h) = (1920u32, 1080u32);
    let mut img = RgbaImage::from_pixel(w, h, Rgba([236, 236, 236, 255]));
    let mut s = 12345u32;
    let mut rnd = |n: u32| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) % n.max(1)
    };
    // Windows with title bars, labels (stroke clusters) and buttons.
    for _ in 0..14 {
        let (x0, y0) = (rnd(w - 500), rnd(h - 400));
        let (ww, wh) = (300 + rnd(200), 200 + rnd(200));
        for y in y0..y0 + wh {
            for x in x0..x0 + ww {
                let title = y < y0 + 24;
                let edge = x == x0 || x == x0 + ww - 1 || y == y0 + wh - 1;
                let c = if edge {
                    90
                } else if title {
                    70 + (x % 40) as u8
                } else {
                    250
                };
                img.put_pixel(x, y, Rgba([c, c, c.saturating_add(5), 255]));
            }
        }
        for _ in 0..40 {
            let (tx, ty) = (x0 + 8 + rnd(ww - 80), y0 + 30 + rnd(wh - 50));
            let len = 20 + rnd(50);
            for x in tx..tx + len {
                for y in ty..ty + 9 {
                    if rnd(3) == 0 {
                        img.put_pixel(x, y, Rgba([20, 20, 30, 255]));
                    }
                }
            }
        }
    }
    img
}

fn time(screen_img: &RgbaImage, t: &Template) -> (f64, f64, docket_desktop::Match) {
    let mut ms = Vec::new();
    let mut last = None;
    for _ in 0..15 {
        let start = Instant::now();
        let screen = Screen::new(screen_img);
        last = locate(&screen, t);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    (
        ms[ms.len() / 2],
        ms[ms.len() - 1],
        last.expect("template fits"),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice()
        && flag == "--save-screen"
    {
        // The synthetic screen as a PNG, for benches/locate_compare.sh (pyautogui on the same pixels).
        synthetic_screen()
            .save(path)
            .expect("write the synthetic screen");
        println!("synthetic screen written to {path}");
        return;
    }
    let screen = match args.first() {
        Some(p) => image::open(p).expect("read screenshot").to_rgba8(),
        None => synthetic_screen(),
    };
    let scaled = crop_imm(
        &resize(&screen, 2400, 1350, FilterType::Triangle),
        0,
        0,
        1920,
        1080,
    )
    .to_image();
    println!(
        "screen {}x{}, {} threads",
        screen.width(),
        screen.height(),
        rayon::current_num_threads()
    );
    let mut prep = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        std::hint::black_box(Screen::new(&screen));
        prep.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    prep.sort_by(f64::total_cmp);
    println!(
        "screen preparation (grayscale + pyramid, shared by all anchors on a screenshot): median {:.1} ms",
        prep[7]
    );
    println!("times below include the screen preparation:");
    for (w, h) in [(24u32, 24u32), (80, 26), (160, 40), (300, 60)] {
        // The first box with contrast from the middle of the screen on.
        let Some((x, y, t)) = (0..200u32).find_map(|i| {
            let (x, y) = (600 + (i * 37) % 600, 300 + (i * 23) % 400);
            let crop = crop_imm(&screen, x, y, w, h).to_image();
            Template::new(&crop).map(|t| (x, y, t))
        }) else {
            println!("{w}x{h}: no crop with contrast, skipped");
            continue;
        };
        let (med, worst, m) = time(&screen, &t);
        println!(
            "{w:>3}x{h:<3} scale 1.00: median {med:6.1} ms, worst {worst:6.1} ms  -> ({}, {}) score {:.3} scale {:.3}",
            m.x, m.y, m.score, m.scale
        );
        let (med, worst, m) = time(&scaled, &t);
        println!(
            "{w:>3}x{h:<3} scale 1.25: median {med:6.1} ms, worst {worst:6.1} ms  -> ({}, {}) score {:.3} scale {:.3} (expected ~({}, {}))",
            m.x,
            m.y,
            m.score,
            m.scale,
            x * 5 / 4,
            y * 5 / 4
        );
    }
}
