//! Notes round trip exactly as typed, one per topic, and blank text removes a note.

mod common;

use common::{T0, study_with_embedded};
use dojo_study::{Error, notes::MAX_NOTE_BYTES};

#[test]
fn markdown_and_unicode_come_back_byte_for_byte() {
    let (study, _) = study_with_embedded();
    let text = "# Rate limiting\n\n- token bucket: **burst** then 1/s\n- 限流 und Überlast ✓ 🚦\n\n\
```js\napp.use(limiter({ windowMs: 60_000 }));\n```\n\n| a | b |\n|---|---|\n| `<script>` | &amp; |\n";
    let saved = study.save_note(17, text).expect("save");
    assert_eq!(saved.markdown, text);
    assert_eq!(saved.updated_at, Some(T0));
    assert_eq!(
        study.note(17).expect("read").expect("present").markdown,
        text
    );
}

#[test]
fn saving_again_replaces_the_note_and_updates_its_time() {
    let (study, _) = study_with_embedded();
    let study = study.with_clock(|| T0 + 30);
    study.save_note(4, "first draft").expect("save");
    study.save_note(4, "second draft").expect("save again");
    let note = study.note(4).expect("read").expect("present");
    assert_eq!(
        (note.markdown.as_str(), note.updated_at),
        ("second draft", Some(T0 + 30))
    );
    assert_eq!(study.notes_all().expect("all").len(), 1);
}

#[test]
fn notes_are_listed_by_topic_and_blank_text_deletes_one() {
    let (study, _) = study_with_embedded();
    study.save_note(9, "schema").expect("save");
    study.save_note(2, "sessions").expect("save");
    study.save_note(30, "openapi").expect("save");
    let ids: Vec<u32> = study
        .notes_all()
        .expect("all")
        .iter()
        .map(|n| n.topic_id)
        .collect();
    assert_eq!(ids, [2, 9, 30]);

    let cleared = study.save_note(9, "  \n\t").expect("clear");
    assert_eq!((cleared.markdown.as_str(), cleared.updated_at), ("", None));
    assert_eq!(study.note(9).expect("read"), None);
    assert!(
        study
            .search("schema", 10)
            .expect("search")
            .iter()
            .all(|hit| hit.section != "note")
    );
    assert_eq!(study.notes_all().expect("all").len(), 2);
}

#[test]
fn oversized_notes_are_refused_and_the_old_text_stays() {
    let (study, _) = study_with_embedded();
    study.save_note(1, "keep me").expect("save");
    let huge = "x".repeat(MAX_NOTE_BYTES + 1);
    let error = study.save_note(1, &huge).expect_err("too big");
    assert!(
        matches!(error, Error::Invalid(_)) && error.to_string().contains("limited"),
        "{error}"
    );
    assert_eq!(
        study.note(1).expect("read").expect("present").markdown,
        "keep me"
    );
}
