//! `dojo`: Backend Dojo from a terminal. Every command is a thin call into `dojo_app`.

mod export;

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dojo_app::{Dojo, check, sandbox, web};

#[derive(Debug, Parser)]
#[command(
    name = "dojo",
    version,
    about = "Backend Dojo: backend interview practice with a live sandbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the 33 topics by group.
    Topics,
    /// Print one topic, by id or slug (`dojo show 17`, `dojo show rate-limiting`).
    Show { topic: String },
    /// Validate every topic file and drill, then run every drill against a fresh sandbox;
    /// exits non-zero with file:line messages on problems.
    Check {
        /// Check the topic files in this directory instead of the ones built in (drills
        /// come from the `drills` folder beside it).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The node program used to syntax-check the Express templates.
        #[arg(long, default_value = "node")]
        node: PathBuf,
        /// Check the files only; do not run the drills.
        #[arg(long)]
        no_drills: bool,
    },
    /// Run a topic's drills (`dojo drill 1`) against a fresh sandbox, or against your own
    /// server with --base-url; exits non-zero if any drill fails.
    Drill {
        /// Topic id or slug.
        topic: String,
        /// The server to drill, e.g. http://localhost:3000. Without it a fresh sandbox is
        /// started for the run.
        #[arg(long)]
        base_url: Option<String>,
        /// List every assert, not only the failed ones.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Run the sandbox alone (headless), for curl, Postman or a whole class.
    Sandbox {
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to bind. Loopback unless you mean to share it.
        #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
        bind: IpAddr,
        /// Requests per second per client (and burst size) before 429.
        #[arg(long)]
        rate_limit: Option<u32>,
        /// A host name to answer for besides localhost and IP addresses (repeatable), when
        /// a team reaches the sandbox by name.
        #[arg(long = "allow-host")]
        allow_hosts: Vec<String>,
        /// The token `/_dojo/` tooling requires in `X-Dojo-Token`; random unless set.
        #[arg(long, env = "DOJO_TOOLING_TOKEN", hide_env_values = true)]
        tooling_token: Option<String>,
        /// Keep the data suite's users, posts and comments in this MongoDB (team mode)
        /// instead of the embedded SQLite.
        #[arg(long, env = "DOJO_MONGODB_URI", hide_env_values = true)]
        mongodb_uri: Option<String>,
        /// Keep the cache's entries (topic 31), the login sessions (topic 2) and the rate
        /// limiter's buckets (topic 17) in this Redis, shared by every sandbox pointed at it.
        #[arg(long, env = "DOJO_REDIS_URL", hide_env_values = true)]
        redis_url: Option<String>,
        /// Also deliver every mail through this SMTP relay: smtp://[user:password@]host:port
        /// (plain), add ?tls=starttls for STARTTLS, or smtps://... for TLS. The built-in
        /// mailbox keeps every mail and shows whether it was delivered.
        #[arg(long, env = "DOJO_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// The From of delivered mail, e.g. "Backend Dojo <dojo@example.com>"; needs
        /// --smtp-url.
        #[arg(long, env = "DOJO_MAIL_FROM", requires = "smtp_url")]
        mail_from: Option<String>,
    },
    /// Serve the app in a browser (web mode) on loopback.
    Serve {
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to bind. Loopback unless you mean to share it.
        #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
        bind: IpAddr,
        /// The built UI (`ui/dist`).
        #[arg(long, env = "DOJO_UI_DIR", default_value = web::DEFAULT_UI_DIR)]
        ui_dir: PathBuf,
    },
    /// Export topics: PDF (cheat sheet, study guide, interview report), Postman, .http,
    /// Markdown, or the sandbox's OpenAPI document.
    Export {
        #[command(subcommand)]
        what: export::ExportCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("dojo: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Topics => {
            let dojo = Dojo::load().map_err(|e| e.to_string())?;
            let mut out = String::new();
            for group in dojo.topic_index().groups {
                out.push_str(&format!("{}\n", group.title));
                for topic in group.topics {
                    out.push_str(&format!(
                        "  {:>2}  {:<28} {}\n",
                        topic.id, topic.slug, topic.title
                    ));
                }
            }
            emit(&out)
        }
        Command::Show { topic } => {
            let dojo = Dojo::load().map_err(|e| e.to_string())?;
            emit(&dojo.topic_text(&topic).map_err(|e| e.to_string())?)
        }
        Command::Check {
            dir,
            node,
            no_drills,
        } => {
            let mut report = check::check_content(dir.as_deref(), &node);
            let mut drills = None;
            if !no_drills && report.passed() {
                dojo_app::drills::quiet_sandbox_handler_panics();
                let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
                let ran = runtime.block_on(check::check_drills(dir.as_deref()));
                report.problems.extend(ran.problems);
                drills = Some(ran.drills);
            }
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            if !report.javascript_checked && report.topics > 0 {
                eprintln!(
                    "note: {} could not be run, so the Express templates were not syntax-checked",
                    node.display()
                );
            }
            if report.passed() {
                match drills {
                    Some(drills) => println!(
                        "{} topics checked, {drills} drills passed, no problems",
                        report.topics
                    ),
                    None => println!("{} topics checked, no problems", report.topics),
                }
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{} problem(s) found", report.problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Drill {
            topic,
            base_url,
            verbose,
        } => {
            let dojo = Dojo::load().map_err(|e| e.to_string())?;
            if dojo.drills(&topic).map_err(|e| e.to_string())?.is_empty() {
                println!("Topic {topic} has no drills yet.");
                return Ok(ExitCode::SUCCESS);
            }
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            let run = runtime.block_on(async {
                match base_url {
                    Some(base_url) => dojo
                        .run_drills(&topic, &base_url)
                        .await
                        .map_err(|e| e.to_string()),
                    None => {
                        dojo_app::drills::quiet_sandbox_handler_panics();
                        let running = sandbox::start(sandbox::SandboxOptions::default())
                            .await
                            .map_err(|e| format!("cannot start a sandbox for the drills: {e}"))?;
                        let run = dojo.run_drills_in(&topic, &running).await;
                        let _ = running.shutdown().await;
                        run.map_err(|e| e.to_string())
                    }
                }
            })?;
            emit(&dojo_app::drills::to_terminal(&run, verbose))?;
            Ok(if run.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Sandbox {
            port,
            bind,
            rate_limit,
            allow_hosts,
            tooling_token,
            mongodb_uri,
            redis_url,
            smtp_url,
            mail_from,
        } => {
            if tooling_token.as_deref().is_some_and(|token| {
                token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic())
            }) {
                return Err("--tooling-token must be at least 16 visible ASCII characters".into());
            }
            let smtp = smtp_url
                .map(|url| sandbox::SmtpRelay::new(&url, mail_from.as_deref()))
                .transpose()
                .map_err(|e| format!("--smtp-url / --mail-from: {e}"))?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let options = sandbox::SandboxOptions {
                    addr: Some(SocketAddr::new(bind, port)),
                    rate_limit,
                    allowed_hosts: allow_hosts,
                    tooling_token,
                    mongodb_uri,
                    redis_url,
                    smtp,
                    // Headless: fresh signing secrets at every start.
                    secrets: None,
                };
                let running = sandbox::start(options)
                    .await
                    .map_err(|e| format!("cannot start the sandbox on {bind}:{port}: {e}"))?;
                announce(&format!("Backend Dojo sandbox: http://{}/", running.addr));
                announce(&format!(
                    "Tooling token (X-Dojo-Token for /_dojo/): {}",
                    running.state.config.tooling_token
                ));
                if running.state.config.mongodb_uri.is_some() {
                    announce("Data suite storage: MongoDB (from --mongodb-uri)");
                }
                if running.state.config.redis_url.is_some() {
                    announce("Cache, sessions and rate limits: Redis (from --redis-url)");
                }
                if let Some(relay) = running.state.config.smtp.as_ref() {
                    announce(&format!(
                        "Mail: kept in the mailbox and delivered through {} as {}",
                        relay.shown_url(),
                        relay.from_address()
                    ));
                }
                web::shutdown_signal().await;
                eprintln!("stopping: finishing requests in flight");
                running.shutdown().await.map_err(|e| e.to_string())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { port, bind, ui_dir } => {
            let dojo = Dojo::load_with_default_study().map_err(|e| e.to_string())?;
            if !ui_dir.join("index.html").is_file() {
                return Err(format!(
                    "no built UI in {}; run `make run`, or pass --ui-dir",
                    ui_dir.display()
                ));
            }
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                // The sandbox always listens on loopback, whatever the web mode binds. The
                // app owns it from here: the status bar can stop, start and restart it.
                let sandbox = dojo
                    .launch_saved_sandbox()
                    .await
                    .map_err(|e| format!("cannot start the sandbox: {e}"))?;
                let sandbox_url = sandbox.base_url.unwrap_or_default();
                let served = web::serve(dojo.clone(), SocketAddr::new(bind, port), ui_dir, |url| {
                    announce(&format!("Backend Dojo web mode: {url}"));
                    announce(&format!("Backend Dojo sandbox: {sandbox_url}/"));
                })
                .await
                .map_err(|e| format!("cannot serve on {bind}:{port}: {e}"));
                dojo.stop_sandbox().await.map_err(|e| e.to_string())?;
                served
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { what } => export::run(what),
    }
}

/// Prints to stdout; a reader that goes away early (`dojo show 1 | head`) is not an error.
fn emit(text: &str) -> Result<ExitCode, String> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.to_string()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Prints a line for whoever started a server; a closed stdout must not stop the server.
fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}
