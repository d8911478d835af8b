//! Single byte ranges for downloads (RFC 9110, section 14): what a `Range` header asks
//! for, and a stream of just those bytes from disk.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use tokio_stream::Stream;

/// Bytes read from disk per chunk of the answer.
const CHUNK_BYTES: u64 = 64 * 1024;

/// What to send for a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No usable range: the whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// The range starts past the end: 416.
    Unsatisfiable,
}

// region: range-parse
/// Reads `Range: bytes=start-end`, `bytes=start-` or `bytes=-suffix` for a file of `size`
/// bytes. A header this server does not serve (another unit, several ranges, malformed)
/// is ignored and the whole file sent, as RFC 9110 allows; a well-formed range that starts
/// at or past the end cannot be satisfied.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let number = |text: &str| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    match (first, last) {
        // The last `suffix` bytes.
        ("", suffix) => match number(suffix) {
            None => RangeAnswer::Whole,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(suffix) => RangeAnswer::Part {
                start: size.saturating_sub(suffix),
                end: size - 1,
            },
        },
        (first, last) => {
            let Some(start) = number(first) else {
                return RangeAnswer::Whole;
            };
            let end = match last {
                "" => u64::MAX,
                last => match number(last) {
                    Some(end) if end >= start => end,
                    _ => return RangeAnswer::Whole,
                },
            };
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            RangeAnswer::Part {
                start,
                end: end.min(size - 1),
            }
        }
    }
}
// endregion

/// The next `remaining` bytes of an open file, in chunks, without reading the whole range
/// into memory.
#[derive(Debug)]
pub struct FileChunks {
    file: tokio::fs::File,
    remaining: u64,
}

impl FileChunks {
    /// `file` must already be positioned at the range's start.
    pub fn new(file: tokio::fs::File, length: u64) -> FileChunks {
        FileChunks {
            file,
            remaining: length,
        }
    }
}

impl Stream for FileChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining.min(CHUNK_BYTES)).unwrap_or(usize::MAX);
        let mut chunk = vec![0u8; want];
        let mut buffer = ReadBuf::new(&mut chunk);
        match Pin::new(&mut this.file).poll_read(cx, &mut buffer) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) => {
                let read = buffer.filled().len();
                if read == 0 {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file is shorter than when the answer started",
                    ))));
                }
                chunk.truncate(read);
                this.remaining -= read as u64;
                Poll::Ready(Some(Ok(Bytes::from(chunk))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeAnswer::{Part, Unsatisfiable, Whole};
    use super::*;

    #[test]
    fn single_ranges_of_every_form() {
        assert_eq!(
            parse_range(Some("bytes=0-9"), 100),
            Part { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=95-500"), 100),
            Part { start: 95, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-500"), 100),
            Part { start: 0, end: 99 }
        );
    }

    #[test]
    fn ranges_past_the_end_cannot_be_satisfied() {
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=150-200"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Unsatisfiable);
    }

    #[test]
    fn what_is_not_served_means_the_whole_file() {
        for header in [
            None,
            Some("items=0-9"),
            Some("bytes=0-9,20-29"),
            Some("bytes=9-0"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes=+1-5"),
            Some("bytes=99999999999999999999999-"),
        ] {
            assert_eq!(parse_range(header, 100), Whole, "{header:?}");
        }
    }
}
