//! The program's locks as the profile names them: by the name a program gave, or the place
//! in its source that made them; every object of one name is one lock there, counted.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::OnceLock;

use crate::format::LockKind;

/// What names a lock in the profile.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Label {
    /// Made by `lock_api`'s own constructors (`Default` on a bare `lock_api` type).
    Unnamed,
    /// The name the program gave.
    Named(&'static str),
    /// The place in the program's source that made it.
    Site(&'static Location<'static>),
}

impl Label {
    pub(crate) fn text(self) -> (String, bool) {
        match self {
            Label::Unnamed => ("(unnamed)".to_string(), false),
            Label::Named(name) => (name.to_string(), true),
            Label::Site(at) => (at.to_string(), false),
        }
    }
}

/// One lock of the program as the profile names it (every object made with that name).
pub(crate) struct Site {
    pub(crate) label: String,
    pub(crate) named: bool,
    pub(crate) kind: LockKind,
    pub(crate) backend: String,
    pub(crate) instances: u64,
}

#[derive(Default)]
pub(crate) struct Sites {
    pub(crate) all: Vec<Site>,
    index: HashMap<(String, LockKind), u32>,
}

/// Sites beyond this many are recorded as one ("(more locks)").
pub(crate) const MAX_SITES: usize = 64 * 64;

pub(crate) fn sites() -> &'static parking_lot::Mutex<Sites> {
    static SITES: OnceLock<parking_lot::Mutex<Sites>> = OnceLock::new();
    SITES.get_or_init(Default::default)
}

/// The number of the site `label` names, counting one more object of it, and that object's
/// number among the site's (0 for its first).
pub(crate) fn site_for(label: Label, kind: LockKind, backend: &str) -> (u32, u32) {
    let (text, named) = label.text();
    let mut s = sites().lock();
    let key = if s.all.len() >= MAX_SITES - 1 && !s.index.contains_key(&(text.clone(), kind)) {
        ("(more locks)".to_string(), kind)
    } else {
        (text, kind)
    };
    if let Some(&i) = s.index.get(&key) {
        let site = &mut s.all[i as usize];
        site.instances += 1;
        return (i, u32::try_from(site.instances - 1).unwrap_or(u32::MAX));
    }
    let i = s.all.len() as u32;
    s.all.push(Site {
        label: key.0.clone(),
        named,
        kind,
        backend: backend.to_string(),
        instances: 1,
    });
    s.index.insert(key, i);
    (i, 0)
}

/// Takes back the count of an object [`site_for`] counted but that was not made.
pub(crate) fn uncount(site: u32) {
    if let Some(s) = sites().lock().all.get_mut(site as usize) {
        s.instances = s.instances.saturating_sub(1);
    }
}
