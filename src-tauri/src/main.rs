//! Backend Dojo's desktop shell: one window, a sandbox started at launch, and thin
//! commands into `dojo_app`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use dojo_app::console::{ConsoleRequest, ConsoleResponse};
use dojo_app::sandbox::{self, SandboxInfo, SandboxOptions};
use dojo_app::traffic::{TraceView, TrafficEntry};
use dojo_app::{DrillInfo, DrillRun, Dojo, Problem, TopicIndex, TopicView};
use tauri::{Emitter as _, Manager as _, State};

#[tauri::command]
fn topic_index(dojo: State<'_, Dojo>) -> TopicIndex {
    dojo.topic_index()
}

#[tauri::command]
fn topic(dojo: State<'_, Dojo>, key: String) -> Result<TopicView, Problem> {
    dojo.topic(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn syntax_css(dojo: State<'_, Dojo>) -> &'static str {
    dojo.syntax_css()
}

#[tauri::command]
fn sandbox_info(dojo: State<'_, Dojo>) -> SandboxInfo {
    dojo.sandbox_info()
}

#[tauri::command]
async fn send_request(dojo: State<'_, Dojo>, request: ConsoleRequest) -> Result<ConsoleResponse, Problem> {
    dojo.send_request(&request).await.map_err(|error| error.problem())
}

#[tauri::command]
fn trace(dojo: State<'_, Dojo>, id: String) -> Result<TraceView, Problem> {
    dojo.trace(&id).map_err(|error| error.problem())
}

#[tauri::command]
fn traffic(dojo: State<'_, Dojo>) -> Vec<TrafficEntry> {
    dojo.traffic()
}

#[tauri::command]
fn drills(dojo: State<'_, Dojo>, key: String) -> Result<Vec<DrillInfo>, Problem> {
    dojo.drills(&key).map_err(|error| error.problem())
}

#[tauri::command]
async fn run_drills(dojo: State<'_, Dojo>, key: String) -> Result<DrillRun, Problem> {
    dojo.run_topic_drills(&key).await.map_err(|error| error.problem())
}

fn main() {
    let dojo = match Dojo::load() {
        Ok(dojo) => dojo,
        Err(error) => {
            eprintln!("backend dojo: {error}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .manage(dojo)
        .setup(|app| {
            let dojo = app.state::<Dojo>().inner().clone();
            let running = tauri::async_runtime::block_on(sandbox::start(SandboxOptions::default()))?;
            dojo.attach_sandbox(&running);
            app.manage(running);
            // Every sandbox request reaches the traffic view as a `traffic` event.
            if let Some(mut feed) = dojo.traffic_feed() {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    use tokio_stream::StreamExt as _;
                    while let Some(entry) = feed.next().await {
                        let _ = handle.emit("traffic", entry);
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            topic_index,
            topic,
            syntax_css,
            sandbox_info,
            send_request,
            trace,
            traffic,
            drills,
            run_drills
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("backend dojo: the window could not start: {error}");
        std::process::exit(1);
    }
}
