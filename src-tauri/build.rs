//! Declares the app's commands so capabilities can grant exactly these and nothing else.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["topic_index", "topic", "syntax_css"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri configuration is valid");
}
