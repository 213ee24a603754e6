//! One colour per backend, the same in every chart of every report.

use plotters::style::RGBColor;

use crate::model::SeriesKey;

/// The colours, one per built-in backend in [`BUILT_IN`]'s order: Tableau 10 (colour-blind
/// friendly) for the commonest ten, then darker tones, black for the `atomic` floor and a light
/// grey for `none`, then the reader-writer locks', then the async mutexes'.
const PALETTE: [RGBColor; 28] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(57, 59, 121),
    RGBColor(99, 121, 57),
    RGBColor(140, 109, 49),
    RGBColor(132, 60, 57),
    RGBColor(123, 65, 115),
    RGBColor(82, 84, 163),
    RGBColor(189, 158, 57),
    RGBColor(173, 73, 74),
    RGBColor(165, 81, 148),
    RGBColor(47, 79, 79),
    RGBColor(0, 0, 0),
    RGBColor(176, 176, 176),
    RGBColor(107, 110, 207),
    RGBColor(231, 186, 82),
    RGBColor(82, 188, 163),
    RGBColor(206, 109, 189),
    RGBColor(0, 128, 128),
    RGBColor(128, 0, 64),
];

/// The built-in backends, each owning the palette's colour at its index.
const BUILT_IN: [&str; 28] = [
    "std",
    "parking-lot",
    "spin",
    "ticket",
    "pthread",
    "futex",
    "posix-sem",
    "process-shared",
    "spin-pure",
    "mcs",
    "clh",
    "tas",
    "ticket-spin",
    "parking-lot-fair",
    "futex-private",
    "pthread-pshared",
    "spin-rs",
    "spin-rs-ticket",
    "mcs-spin",
    "clh-spin",
    "atomic",
    "none",
    "std-rwlock",
    "parking-lot-rwlock",
    "pthread-rwlock",
    "rw-spin",
    "tokio",
    "async-lock",
];

/// The colour of every backend of a chart or page.
pub struct Palette {
    colours: Vec<(String, RGBColor)>,
}

impl Palette {
    /// The colours of `keys`' backends: a built-in backend's own colour; any other backend
    /// (a user's lock) one picked by its name, and when that is already taken on this page, the
    /// next free one.
    pub fn of(keys: &[SeriesKey]) -> Palette {
        let mut taken = [false; PALETTE.len()];
        let mut colours: Vec<(String, RGBColor)> = Vec::new();
        for key in keys {
            if colours.iter().any(|(b, _)| *b == key.backend) {
                continue;
            }
            let preferred = BUILT_IN
                .iter()
                .position(|b| *b == key.backend)
                .unwrap_or_else(|| {
                    // FNV-1a: the same name picks the same colour in every report.
                    let hash = key.backend.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                    });
                    (hash % PALETTE.len() as u64) as usize
                });
            let slot = (0..PALETTE.len())
                .map(|k| (preferred + k) % PALETTE.len())
                .find(|&k| !taken[k])
                .unwrap_or(preferred);
            taken[slot] = true;
            colours.push((key.backend.clone(), PALETTE[slot]));
        }
        Palette { colours }
    }

    /// Whether `backend` is one of the built-in backends, which own their colours.
    pub fn owns_a_colour(backend: &str) -> bool {
        BUILT_IN.contains(&backend)
    }

    /// The colour of `backend`.
    pub fn colour(&self, backend: &str) -> RGBColor {
        self.colours
            .iter()
            .find(|(b, _)| b == backend)
            .map_or(PALETTE[7], |(_, c)| *c)
    }

    /// The colour of `backend` as CSS, for legends drawn in HTML.
    pub fn css(&self, backend: &str) -> String {
        let RGBColor(r, g, b) = self.colour(backend);
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkerMode;

    fn key(b: &str, mode: WorkerMode) -> SeriesKey {
        SeriesKey {
            backend: b.to_string(),
            mode,
        }
    }

    #[test]
    fn a_backend_has_one_colour_in_every_report() {
        let t = WorkerMode::Threads;
        let a = Palette::of(&[key("ticket", t), key("std", t), key("my-lock", t)]);
        let b = Palette::of(&[
            key("std", t),
            key("my-lock", t),
            key("ticket", WorkerMode::Processes),
        ]);
        for name in ["ticket", "std", "my-lock"] {
            assert_eq!(a.css(name), b.css(name), "{name}");
        }
        assert_eq!(a.css("std"), "#1f77b4");
        assert_eq!(a.css("ticket"), "#d62728");
    }

    #[test]
    fn no_two_backends_of_a_page_share_a_colour() {
        let keys: Vec<SeriesKey> = BUILT_IN
            .iter()
            .map(|b| b.to_string())
            .chain((0..10).map(|i| format!("user-lock-{i}")))
            .map(|b| key(&b, WorkerMode::Threads))
            .collect();
        // More backends than colours: the built-in ones are told apart; so are any as many
        // together.
        let n = BUILT_IN.len();
        let p = Palette::of(&keys[..n]);
        let mut seen: Vec<String> = keys[..n].iter().map(|k| p.css(&k.backend)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), n);
        let mixed = Palette::of(&keys[10..]);
        let mut seen: Vec<String> = keys[10..].iter().map(|k| mixed.css(&k.backend)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), n);
    }
}
