//! Any text read as a topic file: the parser answers without panicking, and every problem
//! it reports names a line of the file and says what is wrong.

#![no_main]

use dojo_content::parse::parse_topic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let line_count = text.lines().count().max(1);
    if let Err(problems) = parse_topic("99-fuzzed.md", text) {
        assert!(!problems.is_empty(), "a refused file names at least one problem");
        for problem in problems {
            assert!(
                problem.line <= line_count,
                "line {} of a {line_count}-line file: {}",
                problem.line,
                problem.message
            );
            assert!(!problem.message.trim().is_empty(), "a problem says what is wrong");
        }
    }
});
