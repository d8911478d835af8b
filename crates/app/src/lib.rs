//! The one API Backend Dojo's UI calls. The desktop shell wraps each method in a Tauri
//! command; web mode ([`web`]) serves the same methods over HTTP on loopback.

pub mod check;
pub mod console;
pub mod drills;
mod error;
pub mod export;
pub mod interviews;
pub mod profile;
pub mod sandbox;
mod sandbox_control;
pub mod sandbox_secrets;
pub mod sandbox_settings;
pub mod settings;
pub mod stories;
pub mod study;
pub mod traffic;
pub mod uploads;
mod views;
pub mod web;

use std::sync::Arc;

use tokio_stream::Stream;

use dojo_content::{Library, SectionKind, highlight, http_file, render};

use console::{Console, ConsoleRequest, ConsoleResponse};
use sandbox::{Sandbox, SandboxInfo, SandboxOptions};
use sandbox_control::SandboxControl;
use study::StudySlot;
use traffic::{TraceView, TrafficEntry};

pub use dojo_study::{
    CandidateView, InterviewListItem, InterviewSetup, InterviewSummary, StoryIssue, StoryView,
};
pub use dojo_study::{CardView, NoteView, ProgressView, ReviewGrade, TopicState};
pub use dojo_study::{
    CodeFont, DailyPlan, FirstRun, PlanItem, PlanItemKind, Profile, ProfileChoices, StackFocus,
};
pub use drills::{
    AssertCheck, DrillInfo, DrillResult, DrillRun, DrillStep, DrillTarget, StepOutcome,
};
pub use error::{Error, Problem, Result};
pub use export::{ExportJob, ExportRequest};
pub use interviews::{FollowUpHtml, InterviewOptions, MentorScreen, RenderedQuestion, ScoreInput};
pub use sandbox_settings::{
    ConnectionTest, ConnectionTestRequest, SandboxSettings, SandboxSettingsInput,
    SandboxSettingsSaved,
};
pub use settings::{ResetRequest, RestoreSummary, StudyInfo};
pub use stories::StoryFields;
pub use study::{DashboardView, NewCard, ReviewQueue, SearchResult};
pub use views::{GroupView, SectionView, TopicIndex, TopicSummary, TopicView, TryRequest};

/// Everything the UI can ask for. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Dojo {
    library: Arc<Library>,
    sandbox: Arc<SandboxControl>,
    console: Arc<Console>,
    study: StudySlot,
    exports: Arc<export::ExportJobs>,
    sandbox_settings_lock: Arc<sandbox_settings::SettingsLock>,
}

/// How many traffic entries the traffic view starts with.
const TRAFFIC_SHOWN: usize = 200;

impl Dojo {
    /// Loads the topics compiled into the binary, without study data (for commands that
    /// only read topics or run drills).
    pub fn load() -> Result<Dojo> {
        Dojo::assemble(Library::embedded()?, StudySlot::not_opened())
    }

    /// Loads the topics and opens the learner's study database, bringing its cards and
    /// search index up to date. When the database cannot be opened the app still runs;
    /// study calls then say why they fail.
    pub fn load_with_study(study: dojo_study::Result<dojo_study::Study>) -> Result<Dojo> {
        let library = Library::embedded()?;
        let study = StudySlot::open(study, &library);
        Dojo::assemble(library, study)
    }

    /// [`Dojo::load_with_study`] with the database in its default place: `DOJO_DATA_DIR`,
    /// else the operating system's data folder.
    pub fn load_with_default_study() -> Result<Dojo> {
        Dojo::load_with_study(dojo_study::Study::open_default())
    }

    fn assemble(library: Library, study: StudySlot) -> Result<Dojo> {
        Ok(Dojo {
            library: Arc::new(library),
            sandbox: Arc::default(),
            console: Arc::new(Console::default()),
            study,
            exports: Arc::default(),
            sandbox_settings_lock: Arc::default(),
        })
    }

    /// Starts the app's own sandbox with `options` (the shells call this once at launch);
    /// from then on the app owns it: [`Dojo::stop_sandbox`], [`Dojo::start_sandbox`] and
    /// [`Dojo::restart_sandbox`] keep its address and launch token.
    pub async fn launch_sandbox(&self, options: SandboxOptions) -> Result<SandboxInfo> {
        self.sandbox.launch(options).await
    }

    /// Starts the sandbox again where it last listened; a running one is left alone.
    pub async fn start_sandbox(&self) -> Result<SandboxInfo> {
        self.sandbox.start().await
    }

    /// Stops the sandbox; console requests and drills then say it is not running.
    pub async fn stop_sandbox(&self) -> Result<SandboxInfo> {
        self.sandbox.stop().await
    }

    /// A fresh sandbox on the same port: every store, switch and trace starts over.
    pub async fn restart_sandbox(&self) -> Result<SandboxInfo> {
        self.sandbox.restart().await
    }

    /// The sandbox's state, address, recent request rate and storage, for the status bar.
    pub fn sandbox_info(&self) -> SandboxInfo {
        self.sandbox.info()
    }

    /// Sends a console request; answers from the sandbox come with their trace.
    pub async fn send_request(&self, request: &ConsoleRequest) -> Result<ConsoleResponse> {
        let link = self.sandbox.link();
        let (mut response, request_id) = self.console.send(request, link.as_ref()).await?;
        if let (Some(link), Some(id)) = (link, request_id)
            && response.resolved_url.starts_with(&link.base_url)
        {
            response.trace = link.traces.get(&id).map(|t| TraceView::from(t.as_ref()));
        }
        Ok(response)
    }

    /// The full trace of one sandbox request.
    pub fn trace(&self, id: &str) -> Result<TraceView> {
        let link = self.sandbox.link().ok_or(Error::SandboxNotRunning)?;
        link.traces
            .get(id)
            .map(|t| TraceView::from(t.as_ref()))
            .ok_or_else(|| Error::TraceNotFound(id.to_owned()))
    }

    /// The newest sandbox requests, newest first.
    pub fn traffic(&self) -> Vec<TrafficEntry> {
        self.sandbox
            .link()
            .map(|link| {
                link.traces
                    .recent(TRAFFIC_SHOWN)
                    .into_iter()
                    .map(TrafficEntry::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every sandbox request as it finishes, from now on, through stops and restarts,
    /// until the stream is dropped. Call it inside a tokio runtime.
    pub fn live_traffic(&self) -> impl Stream<Item = TrafficEntry> + Send + 'static {
        self.sandbox.live_traffic()
    }

    /// All topics grouped for the sidebar, groups and topics in catalogue order.
    pub fn topic_index(&self) -> TopicIndex {
        let groups = dojo_content::Group::ALL
            .into_iter()
            .map(|group| GroupView {
                key: group.key().to_owned(),
                title: group.title().to_owned(),
                topics: self
                    .library
                    .topics()
                    .iter()
                    .filter(|t| t.front.group == group)
                    .map(TopicSummary::from)
                    .collect(),
            })
            .filter(|group| !group.topics.is_empty())
            .collect();
        TopicIndex { groups }
    }

    /// One topic with every section rendered to HTML.
    pub fn topic(&self, key: &str) -> Result<TopicView> {
        let topic = self
            .library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let sections = topic
            .sections
            .iter()
            .map(|section| SectionView {
                key: section.kind.key().to_owned(),
                title: section.kind.heading().to_owned(),
                html: render::to_html(&section.markdown, self.library.regions()),
            })
            .collect();
        let mut try_it = Vec::new();
        let mut http_variables = Vec::new();
        let blocks = topic
            .section(SectionKind::TryIt)
            .map(|s| s.code_blocks.as_slice())
            .unwrap_or_default();
        for block in blocks.iter().filter(|b| b.lang == "http") {
            // Blocks were validated at load; one that fails here is skipped, not fatal.
            let Ok(file) = http_file::parse(&block.body) else {
                continue;
            };
            http_variables.extend(file.variables);
            for request in file.requests {
                try_it.push(TryRequest {
                    index: u32::try_from(try_it.len()).unwrap_or(u32::MAX),
                    title: request.title,
                    name: request.name,
                    method: request.method,
                    url: request.url,
                    headers: request.headers,
                    body: request.body,
                });
            }
        }
        Ok(TopicView {
            summary: TopicSummary::from(topic),
            group_title: topic.front.group.title().to_owned(),
            sections,
            try_it,
            http_variables,
        })
    }

    /// One topic as plain text for a terminal.
    pub fn topic_text(&self, key: &str) -> Result<String> {
        let topic = self
            .library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let front = &topic.front;
        let mut out = format!(
            "Topic {}: {}\n{} | {} | {}\n\n",
            front.id,
            front.title,
            front.group.title(),
            front.difficulty.key(),
            front.tags.join(", ")
        );
        for kind in SectionKind::ALL {
            let Some(section) = topic.section(kind) else {
                continue;
            };
            out.push_str(&format!("## {}\n\n{}\n", kind.heading(), section.markdown));
        }
        Ok(render::to_terminal(&out, self.library.regions()))
    }

    /// The drills of one topic, in the order they run.
    pub fn drills(&self, key: &str) -> Result<Vec<DrillInfo>> {
        let topic = self
            .library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        Ok(self
            .library
            .drills(topic.front.id)
            .iter()
            .map(DrillInfo::from)
            .collect())
    }

    /// Runs every drill of one topic against the server at `base_url` (`http://host:port`),
    /// one after another.
    pub async fn run_drills(&self, key: &str, base_url: &str) -> Result<DrillRun> {
        // An unknown topic is reported before a bad address.
        self.library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let base_url = base_url.trim().trim_end_matches('/');
        let rest = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"));
        if rest.is_none_or(|rest| rest.is_empty() || rest.contains(char::is_whitespace)) {
            return Err(Error::BadBaseUrl(base_url.to_owned()));
        }
        // The app's own sandbox gets its launch token; any other server runs without one.
        let tooling_token = self
            .sandbox
            .link()
            .filter(|link| link.base_url == base_url)
            .map(|link| link.tooling_token.clone());
        self.run_drills_against(
            key,
            DrillTarget {
                base_url: base_url.to_owned(),
                tooling_token,
            },
        )
        .await
    }

    /// Runs every drill of one topic against a sandbox the caller started.
    pub async fn run_drills_in(&self, key: &str, sandbox: &Sandbox) -> Result<DrillRun> {
        self.run_drills_against(key, DrillTarget::sandbox(sandbox))
            .await
    }

    async fn run_drills_against(&self, key: &str, target: DrillTarget) -> Result<DrillRun> {
        let topic = self
            .library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let drills = self.library.drills(topic.front.id).to_vec();
        let base_url = target.base_url.clone();
        let results = drills::run_drills(drills, target).await;
        Ok(DrillRun {
            topic_id: topic.front.id,
            topic_title: topic.front.title.clone(),
            base_url,
            passed: results.iter().all(|d| d.passed),
            drills: results,
        })
    }

    /// Runs every drill of one topic against the app's own sandbox, after putting that
    /// topic's sandbox state (rate limiter, switches, seed data) back to where it started,
    /// so a run never fails because of requests the learner sent earlier.
    pub async fn run_topic_drills(&self, key: &str) -> Result<DrillRun> {
        let topic = self
            .library
            .get(key)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let link = self.sandbox.link().ok_or(Error::SandboxNotRunning)?;
        let base_url = link.base_url.clone();
        let reset = format!("{base_url}/_dojo/topics/{}/reset", topic.front.id);
        let answer = reqwest::Client::new()
            .post(&reset)
            .header(dojo_sandbox::TOOLING_TOKEN_HEADER, &link.tooling_token)
            .send()
            .await
            .map_err(|error| {
                Error::Unreachable(format!(
                    "could not reset the sandbox for topic {}: {error}",
                    topic.front.id
                ))
            })?;
        if !answer.status().is_success() {
            return Err(Error::Unreachable(format!(
                "the sandbox answered {} to POST {reset}",
                answer.status()
            )));
        }
        let run = self.run_drills(key, &base_url).await?;
        self.record_drills(
            topic.front.id,
            count(run.passed_count()),
            count(run.drills.len()),
        );
        Ok(run)
    }

    /// CSS for highlighted code, light and dark.
    pub fn syntax_css(&self) -> &'static str {
        highlight::stylesheet()
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
