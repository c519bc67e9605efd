//! Prints the best match of an anchor PNG on a display's screen now: `anchor_score :N ANCHOR.png`
//! (for checking what a replay will see, e.g. a button recorded while hovered).

#![allow(clippy::unwrap_used, clippy::expect_used)] // an example: a panic is the report

use docket_desktop::{Desktop, Screen, Template, X11Desktop, locate};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut desk = X11Desktop::open(&args[1]).expect("display");
    let shot = desk.capture().unwrap();
    let anchor = image::open(&args[2]).unwrap().to_rgba8();
    let t = Template::new(&anchor).expect("textured anchor");
    let m = locate::locate(&Screen::new(&shot), &t);
    println!("{m:?}");
}
