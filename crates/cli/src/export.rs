//! `dojo export ...`: parses the options and calls `dojo_export`; the only work done here
//! is reading and writing files and, for OpenAPI, asking a fresh sandbox for its document.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use dojo_app::sandbox;
use dojo_content::Library;
use dojo_export::pdf::{self, CodeLang, ExportDate, PdfKind, PdfOptions, Stage};
use dojo_export::{InterviewReport, LearnerData, TopicSelection};

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// A PDF: a two-column cheat sheet, the full study guide, or a mock interview report.
    Pdf {
        #[arg(long, value_enum)]
        kind: PdfChoice,
        /// Topic ids, e.g. `1,5,17` (default: all).
        #[arg(long, value_delimiter = ',')]
        topics: Vec<u32>,
        /// The code a cheat sheet shows.
        #[arg(long, value_enum, default_value_t = CodeChoice::Express)]
        code: CodeChoice,
        /// Your notes and STAR stories for the guide, as JSON (`{"notes": {"17": "..."},
        /// "stories": {"17": [{"title": "...", "situation": "...", ...}]}}`).
        #[arg(long)]
        learner: Option<PathBuf>,
        /// The interview to report (`--kind report`), as JSON.
        #[arg(long)]
        report: Option<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// A Postman collection (v2.1) and environment, written into a folder.
    Postman {
        /// Topic ids, e.g. `1,5,17` (default: all).
        #[arg(long, value_delimiter = ',')]
        topics: Vec<u32>,
        /// The base URL the environment points at.
        #[arg(long, default_value = dojo_export::DEFAULT_BASE_URL)]
        base_url: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// `.http` files (REST Client / JetBrains): one per topic in a folder, or one file.
    Http {
        /// Topic ids, e.g. `1,5,17` (default: all).
        #[arg(long, value_delimiter = ',')]
        topics: Vec<u32>,
        /// Write every topic into the one file given by --output.
        #[arg(long)]
        one_file: bool,
        /// The base URL each file defines as `@baseUrl`.
        #[arg(long, default_value = dojo_export::DEFAULT_BASE_URL)]
        base_url: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// One topic as Markdown, with the sandbox's Rust regions filled in.
    Markdown {
        /// Topic id.
        #[arg(long)]
        topic: u32,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// The sandbox's OpenAPI document, fetched from a fresh sandbox.
    Openapi {
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PdfChoice {
    CheatSheet,
    Guide,
    Report,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CodeChoice {
    Express,
    Rust,
}

pub(crate) fn run(command: ExportCommand) -> Result<ExitCode, String> {
    match command {
        ExportCommand::Pdf {
            kind,
            topics,
            code,
            learner,
            report,
            output,
        } => {
            let library = library()?;
            let topics = selection(topics);
            let code = match code {
                CodeChoice::Express => CodeLang::Express,
                CodeChoice::Rust => CodeLang::Rust,
            };
            let kind = match (kind, report) {
                (PdfChoice::CheatSheet, _) => PdfKind::CheatSheet { topics, code },
                (PdfChoice::Guide, _) => PdfKind::Guide { topics },
                (PdfChoice::Report, Some(path)) => {
                    PdfKind::Report(read_json::<InterviewReport>(&path)?)
                }
                (PdfChoice::Report, None) => {
                    return Err("--kind report needs --report FILE (the interview as JSON)".into());
                }
            };
            let learner = match learner {
                Some(path) => read_json::<LearnerData>(&path)?,
                None => LearnerData::default(),
            };
            let options = PdfOptions {
                kind,
                date: ExportDate::today_utc(),
            };
            let pages = Cell::new(0);
            let progress = |stage: Stage| {
                if let Stage::Finished { pages: count, .. } = stage {
                    pages.set(count);
                }
            };
            let bytes = pdf::render_pdf(&options, &library, &learner, &progress)
                .map_err(|e| e.to_string())?;
            write(&output, &bytes)?;
            println!(
                "wrote {} ({} pages, {} KB)",
                output.display(),
                pages.get(),
                bytes.len().div_ceil(1024)
            );
        }
        ExportCommand::Postman {
            topics,
            base_url,
            output,
        } => {
            let library = library()?;
            let collection =
                dojo_export::postman_collection(&library, &selection(topics), &base_url)
                    .map_err(|e| e.to_string())?;
            let environment = dojo_export::postman_environment(&base_url);
            std::fs::create_dir_all(&output)
                .map_err(|e| format!("cannot create the folder {}: {e}", output.display()))?;
            for (name, value) in [
                (dojo_export::COLLECTION_FILE_NAME, collection),
                (dojo_export::ENVIRONMENT_FILE_NAME, environment),
            ] {
                let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
                write(&output.join(name), text.as_bytes())?;
            }
            println!(
                "wrote {} and {} in {}",
                dojo_export::COLLECTION_FILE_NAME,
                dojo_export::ENVIRONMENT_FILE_NAME,
                output.display()
            );
        }
        ExportCommand::Http {
            topics,
            one_file,
            base_url,
            output,
        } => {
            let library = library()?;
            let topics = selection(topics);
            if one_file {
                let text = dojo_export::http_single_file(&library, &topics, &base_url)
                    .map_err(|e| e.to_string())?;
                write(&output, text.as_bytes())?;
                println!("wrote {}", output.display());
            } else {
                let files = dojo_export::http_file_per_topic(&library, &topics, &base_url)
                    .map_err(|e| e.to_string())?;
                std::fs::create_dir_all(&output)
                    .map_err(|e| format!("cannot create the folder {}: {e}", output.display()))?;
                for file in &files {
                    write(&output.join(&file.file_name), file.text.as_bytes())?;
                }
                println!("wrote {} .http files in {}", files.len(), output.display());
            }
        }
        ExportCommand::Markdown { topic, output } => {
            let library = library()?;
            let text = dojo_export::topic_markdown(&library, topic).map_err(|e| e.to_string())?;
            write(&output, text.as_bytes())?;
            println!("wrote {}", output.display());
        }
        ExportCommand::Openapi { output } => {
            let document = fetch_openapi()?;
            write(&output, document.as_bytes())?;
            println!("wrote {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn library() -> Result<Library, String> {
    Library::embedded().map_err(|e| format!("the built-in topics do not load: {e}"))
}

fn selection(ids: Vec<u32>) -> TopicSelection {
    if ids.is_empty() {
        TopicSelection::All
    } else {
        TopicSelection::Only(ids)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Starts a sandbox on a free loopback port, reads `/openapi.json` and stops it again.
fn fetch_openapi() -> Result<String, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let running = sandbox::start(sandbox::SandboxOptions::default())
            .await
            .map_err(|e| format!("cannot start a sandbox: {e}"))?;
        let url = format!("http://{}/openapi.json", running.addr);
        let fetched = async {
            let response = reqwest::get(&url)
                .await
                .map_err(|e| format!("cannot read {url}: {e}"))?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err("the sandbox in this build does not serve /openapi.json yet".to_owned());
            }
            if !status.is_success() {
                return Err(format!("{url} answered {status}"));
            }
            let value: serde_json::Value = response
                .json()
                .await
                .map_err(|e| format!("{url} did not answer JSON: {e}"))?;
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        }
        .await;
        let _ = running.shutdown().await;
        fetched.map(|text| text + "\n")
    })
}
