//! Compact text for what every request records: its id, method and path (twice: trace
//! and access log) and the layer and step of each trace event. Kept inline or as indexes
//! into a table of known words, so recording a request does not go through the allocator
//! for each of them.

use std::borrow::Cow;
use std::fmt;

/// A string of up to `N` bytes stored inline; longer ones go to the heap.
#[derive(Clone)]
pub(crate) enum SmallStr<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<str>),
}

impl<const N: usize> SmallStr<N> {
    pub(crate) fn new(value: &str) -> Self {
        match u8::try_from(value.len()) {
            Ok(len) if value.len() <= N => {
                let mut bytes = [0u8; N];
                bytes[..value.len()].copy_from_slice(value.as_bytes());
                SmallStr::Inline { len, bytes }
            }
            _ => SmallStr::Heap(value.into()),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            SmallStr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            SmallStr::Heap(value) => value.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only ever filled from a `&str`, so this never falls back.
            SmallStr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            SmallStr::Heap(value) => value,
        }
    }
}

impl<const N: usize> Default for SmallStr<N> {
    fn default() -> Self {
        SmallStr::Inline {
            len: 0,
            bytes: [0u8; N],
        }
    }
}

impl<const N: usize> fmt::Debug for SmallStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// HTTP methods are almost always one of these; they are borrowed, anything else copied.
pub(crate) fn intern(value: &str) -> Cow<'static, str> {
    const METHODS: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "CONNECT", "TRACE",
    ];
    match METHODS.iter().find(|known| **known == value) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(value.to_owned()),
    }
}

/// The layer names and step kinds the sandbox's own events use.
const WORDS: [&str; 17] = [
    "enter",
    "exit",
    "decision",
    "note",
    "error",
    "event",
    "handler",
    "access_log",
    "timeout",
    "body_limit",
    "security_headers",
    "cors",
    "rate_limit",
    "router",
    "auth",
    "role",
    "validation",
];

/// One word of an event (its layer or its step) while the event is being read.
#[derive(Debug)]
pub(crate) enum Word {
    Known(u8),
    Other(Box<str>),
}

impl Word {
    pub(crate) fn new(value: &str) -> Word {
        match WORDS
            .iter()
            .position(|word| *word == value)
            .and_then(|i| u8::try_from(i).ok())
        {
            Some(index) => Word::Known(index),
            None => Word::Other(value.into()),
        }
    }

    fn as_cow(&self) -> Cow<'static, str> {
        match self {
            Word::Known(index) => {
                Cow::Borrowed(WORDS.get(usize::from(*index)).copied().unwrap_or_default())
            }
            Word::Other(value) => Cow::Owned(value.to_string()),
        }
    }
}

/// The layer and step of one trace event in 16 bytes: nearly always two known words, so
/// two indexes; anything else on the heap.
#[derive(Debug)]
pub(crate) enum LayerStep {
    Known { layer: u8, step: u8 },
    Other(Box<(Cow<'static, str>, Cow<'static, str>)>),
}

impl LayerStep {
    pub(crate) fn new(layer: Word, step: Word) -> LayerStep {
        match (layer, step) {
            (Word::Known(layer), Word::Known(step)) => LayerStep::Known { layer, step },
            (layer, step) => LayerStep::Other(Box::new((layer.as_cow(), step.as_cow()))),
        }
    }

    pub(crate) fn layer(&self) -> &str {
        match self {
            LayerStep::Known { layer, .. } => {
                WORDS.get(usize::from(*layer)).copied().unwrap_or_default()
            }
            LayerStep::Other(names) => &names.0,
        }
    }

    pub(crate) fn step(&self) -> &str {
        match self {
            LayerStep::Known { step, .. } => {
                WORDS.get(usize::from(*step)).copied().unwrap_or_default()
            }
            LayerStep::Other(names) => &names.1,
        }
    }

    /// The layer name, borrowed when it is a known word.
    pub(crate) fn layer_cow(&self) -> Cow<'static, str> {
        match self {
            LayerStep::Known { layer, .. } => Word::Known(*layer).as_cow(),
            LayerStep::Other(names) => names.0.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_stay_inline_and_long_ones_survive() {
        let short = SmallStr::<8>::new("/me");
        assert!(matches!(short, SmallStr::Inline { .. }));
        assert_eq!(short.as_str(), "/me");
        let long = SmallStr::<8>::new("/api/v1/users/1");
        assert!(matches!(long, SmallStr::Heap(_)));
        assert_eq!(long.as_str(), "/api/v1/users/1");
        assert_eq!(SmallStr::<8>::new("exactly8").as_str(), "exactly8");
        assert_eq!(SmallStr::<4>::default().as_str(), "");
    }

    #[test]
    fn known_words_are_indexes() {
        assert!(matches!(intern("GET"), Cow::Borrowed("GET")));
        assert!(matches!(intern("BREW"), Cow::Owned(ref s) if s == "BREW"));
        let known = LayerStep::new(Word::new("rate_limit"), Word::new("enter"));
        assert!(matches!(known, LayerStep::Known { .. }));
        assert_eq!((known.layer(), known.step()), ("rate_limit", "enter"));
        let other = LayerStep::new(Word::new("auth"), Word::new("token checked"));
        assert!(matches!(other, LayerStep::Other(_)));
        assert_eq!((other.layer(), other.step()), ("auth", "token checked"));
        assert!(matches!(other.layer_cow(), Cow::Borrowed("auth")));
        assert!(std::mem::size_of::<LayerStep>() <= 16);
    }

    #[test]
    fn a_usual_request_fits_a_small_allocation() {
        // Steps of a request that passes the whole stack stay under 1 KiB, which the
        // allocator serves from its per-thread cache.
        assert!(std::mem::size_of::<crate::trace::RawStep>() <= 56);
    }
}
