mod common;
use common::*;
#[test]
fn show() {
    let cases = vec![
        TopicFile::outline(5).set("title", "\"Broken").text(),
        TopicFile::outline(5).set("colour", "\"blue\"").text(),
        TopicFile::outline(5).set("group", "\"frontend\"").text(),
        TopicFile::outline(5).set("id", "\"five\"").text(),
    ];
    for c in cases { println!("{:?}", diagnostics_for(&file_for(5), &c)); }
}
