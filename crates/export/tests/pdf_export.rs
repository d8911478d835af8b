//! PDFs as a learner gets them: every topic present, text searchable, fonts embedded,
//! learner text printed literally, code kept on the page. Checked with poppler's tools on
//! the real files; each test leaves its PDF and a PNG of page 1 in
//! `$TMPDIR/backend-dojo-export-tests/` to look at.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;

use common::{
    artifact_path, library, normalize, pdf_fonts, pdf_pages, pdf_text, render_page_one,
    words_outside_page,
};
use dojo_content::SectionKind;
use dojo_export::pdf::{self, CodeLang, ExportDate, PdfKind, PdfOptions, Stage};
use dojo_export::{
    Error, InterviewQuestion, InterviewReport, InterviewSummary, LearnerData, RubricScore, Story,
    TopicSelection,
};

const DATE: ExportDate = ExportDate {
    year: 2026,
    month: 3,
    day: 14,
};

/// The note from the issue: Typst markup characters, a Typst import and an HTML tag.
const TRICKY_NOTE: &str = "Remember #strong[x] costs $5 and ] closes *nothing* here.\n#import \"x\": y\n<script>alert(1)</script> _under_ `tick` \\ @ref <label>";

fn render(kind: PdfKind, learner: &LearnerData, name: &str) -> std::path::PathBuf {
    let options = PdfOptions { kind, date: DATE };
    let bytes = pdf::render_pdf(&options, &library(), learner, &|_| {}).expect("the PDF renders");
    assert!(bytes.starts_with(b"%PDF-"), "{name} is a PDF");
    let path = artifact_path(name);
    std::fs::write(&path, &bytes).expect("the test artifact folder is writable");
    render_page_one(&path);
    path
}

/// A short line of code from the longest `lang` block of a topic's section (the one a
/// cheat sheet shows), long enough to be distinctive.
fn a_code_line(topic_id: u32, lang: &str, section: SectionKind) -> String {
    let library = library();
    let topic = library
        .topics()
        .iter()
        .find(|t| t.front.id == topic_id)
        .expect("topic exists");
    let body = topic
        .section(section)
        .and_then(|s| {
            s.code_blocks
                .iter()
                .filter(|b| b.lang == lang)
                .max_by_key(|b| b.body.lines().count())
        })
        .map(|b| b.body.clone())
        .expect("the topic has a code block");
    body.lines()
        .map(str::trim)
        .find(|line| line.len() > 20 && line.len() < 50 && !line.starts_with("//"))
        .expect("a short code line")
        .to_owned()
}

#[test]
fn the_study_guide_has_every_topic_its_code_a_contents_page_and_embedded_fonts() {
    let path = render(
        PdfKind::Guide {
            topics: TopicSelection::All,
        },
        &LearnerData::default(),
        "guide.pdf",
    );
    let text = normalize(&pdf_text(&path));
    for topic in library().topics() {
        let title = normalize(&format!("{} · {}", topic.front.id, topic.front.title));
        assert!(text.contains(&title), "the guide shows {title:?}");
    }
    let line = normalize(&a_code_line(17, "js", SectionKind::Express));
    assert!(
        text.contains(&line),
        "the guide shows the Express line {line:?}"
    );
    assert!(
        text.contains("Contents"),
        "the guide has a table of contents"
    );

    let fonts = pdf_fonts(&path);
    assert!(
        fonts
            .iter()
            .any(|f| f.name.contains("DejaVuSans") && !f.name.contains("Mono")),
        "{fonts:?}"
    );
    assert!(
        fonts.iter().any(|f| f.name.contains("DejaVuSansMono")),
        "{fonts:?}"
    );
    assert!(
        fonts.iter().all(|f| f.embedded),
        "every font is embedded: {fonts:?}"
    );

    // A cover, the contents, then every topic starts on a page of its own.
    let pages = pdf_pages(&path);
    let topics = library().topics().len();
    assert!(
        (topics + 2..=topics * 12).contains(&pages),
        "{pages} pages for {topics} topics"
    );
    // Page numbers in the footer: the last page says "N / N".
    assert!(
        text.contains(&format!("{pages} / {pages}")),
        "page numbers run to {pages}"
    );
    assert!(
        words_outside_page(&path).is_empty(),
        "text runs off the page: {:?}",
        words_outside_page(&path)
    );
}

#[test]
fn the_guide_has_a_pdf_outline_of_groups_topics_and_sections() {
    let options = PdfOptions {
        kind: PdfKind::Guide {
            topics: TopicSelection::Only(vec![17]),
        },
        date: DATE,
    };
    let bytes =
        pdf::render_pdf(&options, &library(), &LearnerData::default(), &|_| {}).expect("renders");
    let path = artifact_path("guide-17.pdf");
    std::fs::write(&path, &bytes).expect("writable");
    let outline = common::pdf_outline(&path);
    assert!(
        outline
            .iter()
            .any(|entry| entry == "Middleware and security"),
        "{outline:?}"
    );
    assert!(
        outline.iter().any(|entry| entry == "17 · Rate limiting"),
        "{outline:?}"
    );
    assert!(
        outline.iter().any(|entry| entry == "Pitfalls"),
        "{outline:?}"
    );
}

#[test]
fn learner_notes_and_stories_print_exactly_as_typed() {
    let learner = LearnerData {
        notes: BTreeMap::from([(17, TRICKY_NOTE.to_owned())]),
        stories: BTreeMap::from([(
            17,
            vec![Story {
                title: "The retry storm".into(),
                situation: "Pods #3 and $4 fell over].".into(),
                task: "Keep p99 under 200 ms.".into(),
                action: "Moved buckets to Redis with *one* Lua script.".into(),
                result: "p99 stayed at 180 ms.".into(),
            }],
        )]),
    };
    let path = render(
        PdfKind::Guide {
            topics: TopicSelection::Only(vec![1, 17]),
        },
        &learner,
        "guide-notes.pdf",
    );
    let text = normalize(&pdf_text(&path));
    for line in TRICKY_NOTE.lines() {
        assert!(
            text.contains(&normalize(line)),
            "the note line {line:?} is printed as typed"
        );
    }
    for expected in [
        "Your notes",
        "Your STAR story: The retry storm",
        "Pods #3 and $4 fell over].",
        "Moved buckets to Redis with *one* Lua script.",
    ] {
        assert!(text.contains(expected), "the guide shows {expected:?}");
    }
    assert!(
        !text.contains("2 · Session"),
        "only the chosen topics are in the guide"
    );
}

#[test]
fn the_cheat_sheet_of_all_topics_is_dense_and_shows_key_points_code_and_pitfalls() {
    let path = render(
        PdfKind::CheatSheet {
            topics: TopicSelection::All,
            code: CodeLang::Express,
        },
        &LearnerData::default(),
        "cheat-sheet-express.pdf",
    );
    let text = normalize(&pdf_text(&path));
    for topic in library().topics() {
        let title = normalize(&format!("{} · {}", topic.front.id, topic.front.title));
        assert!(text.contains(&title), "the cheat sheet shows {title:?}");
    }
    assert!(
        text.contains("KEY POINTS") && text.contains("PITFALLS"),
        "sections are labelled"
    );
    // A topic without key points yet shows its interview answer instead.
    let without_key_points = library()
        .topics()
        .iter()
        .any(|t| t.section(SectionKind::KeyPoints).is_none());
    assert_eq!(
        text.contains("INTERVIEW ANSWER"),
        without_key_points,
        "topics show what they have"
    );
    let line = normalize(&a_code_line(17, "js", SectionKind::Express));
    assert!(
        text.contains(&line),
        "the cheat sheet shows the Express line {line:?}"
    );
    assert!(pdf_fonts(&path).iter().all(|f| f.embedded));
    let guide_pages = {
        let options = PdfOptions {
            kind: PdfKind::Guide {
                topics: TopicSelection::All,
            },
            date: DATE,
        };
        let typeset =
            pdf::typeset(&options, &library(), &LearnerData::default(), &|_| {}).expect("typesets");
        typeset.page_count()
    };
    let pages = pdf_pages(&path);
    assert!(
        pages >= 2 && pages * 2 < guide_pages,
        "{pages} cheat sheet pages against {guide_pages} in the guide"
    );
    assert!(
        words_outside_page(&path).is_empty(),
        "text runs off the page: {:?}",
        words_outside_page(&path)
    );
}

#[test]
fn a_rust_cheat_sheet_shows_sandbox_regions_for_the_chosen_topics_only() {
    let path = render(
        PdfKind::CheatSheet {
            topics: TopicSelection::Only(vec![17, 1]),
            code: CodeLang::Rust,
        },
        &LearnerData::default(),
        "cheat-sheet-rust.pdf",
    );
    let text = normalize(&pdf_text(&path));
    assert!(text.contains("1 · JWT-protected routes") && text.contains("17 · Rate limiting"));
    assert!(!text.contains("15 · "), "topic 15 was not chosen");
    assert!(
        text.contains("crates/sandbox/src/features/rate_limit.rs"),
        "the region names its file"
    );
    let library = library();
    let region = &library.regions()["token-bucket"];
    let line = region
        .code
        .lines()
        .map(str::trim)
        .find(|line| line.len() > 20 && line.len() < 50 && !line.starts_with("//"))
        .expect("a short line in the region");
    assert!(
        text.contains(&normalize(line)),
        "the Rust line {line:?} is shown"
    );
    assert!(
        !text.contains("require('"),
        "no Express code on a Rust sheet"
    );
}

#[test]
fn an_interview_report_shows_questions_scores_notes_and_summary() {
    let report = InterviewReport {
        title: "Mock interview: backend, mid level".into(),
        candidate: "Ada <Lovelace> #1".into(),
        date: "2026-03-14".into(),
        questions: vec![
            InterviewQuestion {
                topic_id: 17,
                question: "How would you rate limit a login route?".into(),
                scores: vec![
                    RubricScore {
                        criterion: "Correctness".into(),
                        score: 4,
                    },
                    RubricScore {
                        criterion: "Trade-offs".into(),
                        score: 2,
                    },
                ],
                notes: TRICKY_NOTE.into(),
            },
            InterviewQuestion {
                topic_id: 1,
                question: "Why not store JWTs in localStorage?".into(),
                scores: vec![RubricScore {
                    criterion: "Correctness".into(),
                    score: 3,
                }],
                notes: String::new(),
            },
        ],
        summary: InterviewSummary {
            strengths: "Clear token bucket explanation.".into(),
            gaps: "Forgot Retry-After.".into(),
            topics_to_review: vec![18, 5],
        },
    };
    let path = render(
        PdfKind::Report(report),
        &LearnerData::default(),
        "report.pdf",
    );
    let text = normalize(&pdf_text(&path));
    for expected in [
        "Mock interview: backend, mid level",
        "Ada <Lovelace> #1",
        "Question 1: 17 · Rate limiting",
        "How would you rate limit a login route?",
        "Question 2: 1 · JWT-protected routes",
        "Correctness",
        "Trade-offs",
        "3.0 / 4",
        "Mentor notes",
        "Forgot Retry-After.",
        "18 · Security headers and CORS",
        "5 · Refresh tokens",
    ] {
        assert!(
            text.contains(&normalize(expected)),
            "the report shows {expected:?}"
        );
    }
    for line in TRICKY_NOTE.lines() {
        assert!(
            text.contains(&normalize(line)),
            "the note line {line:?} is printed as typed"
        );
    }
}

#[test]
fn reports_with_a_bad_score_or_an_unknown_topic_are_refused_by_name() {
    let question = |topic_id, score| InterviewQuestion {
        topic_id,
        question: "Q".into(),
        scores: vec![RubricScore {
            criterion: "Depth".into(),
            score,
        }],
        notes: String::new(),
    };
    let report = |questions| InterviewReport {
        questions,
        ..InterviewReport::default()
    };
    let render = |report| {
        let options = PdfOptions {
            kind: PdfKind::Report(report),
            date: DATE,
        };
        pdf::render_pdf(&options, &library(), &LearnerData::default(), &|_| {})
    };
    let error =
        render(report(vec![question(17, 4), question(1, 5)])).expect_err("5 is out of range");
    assert!(
        matches!(
            error,
            Error::ScoreOutOfRange {
                question: 2,
                score: 5,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the score for \"Depth\" in question 2 is 5; scores go from 1 to 4"
    );
    let error = render(report(vec![question(40, 3)])).expect_err("no topic 40");
    assert_eq!(
        error.to_string(),
        "there is no topic 40; topics are numbered 1 to 33"
    );
}

#[test]
fn an_unknown_topic_in_a_selection_is_an_error() {
    let options = PdfOptions {
        kind: PdfKind::CheatSheet {
            topics: TopicSelection::Only(vec![3, 99]),
            code: CodeLang::Express,
        },
        date: DATE,
    };
    let error =
        pdf::render_pdf(&options, &library(), &LearnerData::default(), &|_| {}).expect_err("99");
    assert_eq!(
        error.to_string(),
        "there is no topic 99; topics are numbered 1 to 33"
    );
}

#[test]
fn progress_reports_each_stage_in_order_and_the_preview_is_a_png_of_page_one() {
    let stages = RefCell::new(Vec::new());
    let options = PdfOptions {
        kind: PdfKind::Guide {
            topics: TopicSelection::Only(vec![15, 16]),
        },
        date: DATE,
    };
    let library = library();
    let bytes = pdf::render_pdf(&options, &library, &LearnerData::default(), &|stage| {
        stages.borrow_mut().push(stage)
    })
    .expect("renders");
    let stages = stages.into_inner();
    let pages = match stages.last() {
        Some(Stage::Finished { pages, bytes: size }) => {
            assert_eq!(*size, bytes.len());
            *pages
        }
        other => panic!("the last stage is Finished, not {other:?}"),
    };
    assert_eq!(
        stages,
        vec![
            Stage::Preparing,
            Stage::Typesetting { topics: 2 },
            Stage::Writing { pages },
            Stage::Finished {
                pages,
                bytes: bytes.len()
            },
        ]
    );

    let typeset =
        pdf::typeset(&options, &library, &LearnerData::default(), &|_| {}).expect("typesets");
    let png = typeset.page_png(0, 0.5).expect("page 1 renders");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // A4 is 595 x 842 points: half a pixel per point.
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    assert_eq!((width, height), (298, 421));
    std::fs::write(artifact_path("guide-preview.png"), &png).expect("writable");
    let error = typeset.page_png(pages, 1.0).expect_err("no such page");
    assert!(
        error
            .to_string()
            .contains(&format!("the document has {pages}")),
        "{error}"
    );
}

#[test]
fn the_same_input_gives_the_same_pdf() {
    let options = PdfOptions {
        kind: PdfKind::CheatSheet {
            topics: TopicSelection::Only(vec![17]),
            code: CodeLang::Express,
        },
        date: DATE,
    };
    let first =
        pdf::render_pdf(&options, &library(), &LearnerData::default(), &|_| {}).expect("renders");
    let second =
        pdf::render_pdf(&options, &library(), &LearnerData::default(), &|_| {}).expect("renders");
    assert!(first == second, "two renders of the same sheet differ");
}
