//! Running the `smbguard` binary from a test: args, stdin, env; stdout,
//! stderr and exit code captured. `CARGO_BIN_EXE_smbguard` exists only in
//! the CLI crate's tests, so the path is passed in ([`crate::smbguard!`]).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `smbguard` binary of the calling crate's tests.
#[macro_export]
macro_rules! smbguard {
    () => {
        $crate::cli::Cli::new(env!("CARGO_BIN_EXE_smbguard"))
    };
}

/// A binary to run, with extra environment.
#[derive(Clone, Debug)]
pub struct Cli {
    bin: PathBuf,
    env: Vec<(String, String)>,
}

impl Cli {
    /// The binary at `bin`. `NO_COLOR=1` is always set: outputs compared
    /// with snapshots must not depend on the terminal.
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Cli {
            bin: bin.into(),
            env: vec![("NO_COLOR".into(), "1".into())],
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A `Command` for the binary with the environment set (for spawning).
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Runs with `args`, stdin empty.
    pub fn output(&self, args: &[&str]) -> Output {
        self.output_stdin(args, &[])
    }

    /// Runs with `args`, `stdin` fed to the process.
    pub fn output_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.bin.display()));
        let mut input = child.stdin.take().expect("stdin piped");
        // A process that exits without reading stdin closes the pipe: fine.
        let _ = input.write_all(stdin);
        drop(input);
        child.wait_with_output().expect("wait for smbguard")
    }

    /// Runs and returns stdout, asserting exit code 0 (stderr in the message).
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "smbguard {}: {}",
            args.join(" "),
            stderr(&out)
        );
        stdout(&out)
    }
}

/// A process's stdout as UTF-8 (panics on invalid UTF-8: outputs are text).
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// A process's stderr as UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}
