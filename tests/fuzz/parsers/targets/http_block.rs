//! Any text read as a `.http` block: either requests come out, each with a method the
//! console can send and a line inside the block, or the error names a line of it.

#![no_main]

use dojo_content::http_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let line_count = text.lines().count();
    match http_file::parse(text) {
        Ok(file) => {
            for request in file.requests {
                assert!(request.line < line_count.max(1), "request line {} of {line_count}", request.line);
                assert!(!request.method.is_empty(), "a request has a method");
                assert!(!request.url.trim().is_empty(), "a request has a URL");
            }
        }
        Err(error) => {
            // 0-based; one past the end is where "the block ended too early" points.
            assert!(error.line <= line_count, "line {} of {line_count}: {}", error.line, error.message);
            assert!(!error.message.trim().is_empty(), "the error says what is wrong");
        }
    }
});
