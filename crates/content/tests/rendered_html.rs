//! Snapshots of the HTML a learner's UI receives. Review a changed snapshot as a change to
//! what every topic page looks like.

use dojo_content::render::to_html;
use dojo_content::{Library, SectionKind};

const SAMPLE: &str = r#"Issue a token at login, then check it on **every** protected route.

- `sub` names the user
- `exp` ends the session
  - keep it to minutes

Read [RFC 7519](https://www.rfc-editor.org/rfc/rfc7519) and not [this](javascript:alert(1)).

<div onclick="steal()">raw HTML stays text</div>

```js
const jwt = require('jsonwebtoken');
const token = jwt.sign({ sub: user.id }, secret, { expiresIn: '15m' });
```
"#;

#[test]
fn markdown_sample_renders_highlighted_code_lists_links_and_escaped_html() {
    let html = to_html(SAMPLE, &Default::default());
    // What the snapshot must keep showing, whatever else changes.
    assert!(
        html.contains("<pre class=\"code hl-code\" data-lang=\"js\"><code>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;div onclick=\"steal()\"&gt;raw HTML stays text&lt;/div&gt;"),
        "{html}"
    );
    assert!(!html.contains("<div"), "{html}");
    // An unsafe link keeps its words and loses the link.
    assert!(html.contains("and not this.</p>"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    insta::assert_snapshot!("markdown_sample", html);
}

fn topic_17_section(kind: SectionKind) -> String {
    let library = Library::embedded().expect("embedded topics load");
    let topic = library.get("17").expect("topic 17");
    let section = topic.section(kind).expect("topic 17 is complete");
    to_html(&section.markdown, library.regions())
}

#[test]
fn rate_limiting_interview_answer() {
    let html = topic_17_section(SectionKind::InterviewAnswer);
    assert!(
        html.starts_with("<p>Rate limiting caps how many requests"),
        "{html}"
    );
    insta::assert_snapshot!("topic_17_interview_answer", html);
}

#[test]
fn rate_limiting_express_template() {
    let html = topic_17_section(SectionKind::Express);
    assert_eq!(
        html.matches("<pre class=\"code hl-code\" data-lang=\"js\">")
            .count(),
        4
    );
    assert!(
        html.contains("<span class=\"hl-source hl-js\">"),
        "highlighted as JavaScript"
    );
    insta::assert_snapshot!("topic_17_express_template", html);
}
