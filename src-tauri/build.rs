//! Declares the app's commands so capabilities can grant exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "topic_index",
    "topic",
    "syntax_css",
    "sandbox_info",
    "send_request",
    "trace",
    "traffic",
    "drills",
    "run_drills",
    "dashboard",
    "topic_opened",
    "set_topic_state",
    "note",
    "save_note",
    "search",
    "review_queue",
    "review_card",
    "add_card",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri configuration is valid");
}
