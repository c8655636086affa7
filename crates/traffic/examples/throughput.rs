//! Times the analysis of one capture held in memory, for each thread count
//! given (default 1 2). The counts take turns, so that a slower or busier
//! stretch of the machine hits them all alike; best and median of the
//! rounds are printed.
//!
//! ```text
//! cargo run --release -p smbguard-traffic --example throughput -- big.pcap 1 2
//! ```
// Example program: it prints its results and panics on setup failure, like a small CLI.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use smbguard_traffic::{Options, analyze_bytes};

const ROUNDS: usize = 11;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: throughput CAPTURE [THREADS...]")?;
    let mut threads: Vec<usize> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    if threads.is_empty() {
        threads = vec![1, 2];
    }
    let data = std::fs::read(&path)?;
    let mut times = vec![Vec::with_capacity(ROUNDS); threads.len()];
    let mut flows = vec![0; threads.len()];
    for _ in 0..ROUNDS {
        for (i, &n) in threads.iter().enumerate() {
            let options = Options::default().with_threads(n);
            let start = Instant::now();
            flows[i] = analyze_bytes(&data, &options)?.flows.len();
            times[i].push(start.elapsed().as_secs_f64());
        }
    }
    let gb = data.len() as f64 / 1e9;
    for (i, n) in threads.iter().enumerate() {
        let t = &mut times[i];
        t.sort_by(f64::total_cmp);
        let (best, median) = (t[0], t[t.len() / 2]);
        println!(
            "{n} thread(s): best {best:.3} s ({:.2} GB/s), median {median:.3} s ({:.2} GB/s), {} flows",
            gb / best,
            gb / median,
            flows[i]
        );
    }
    Ok(())
}
