//! Flow state sharded over worker threads, fed in batches.
//!
//! The calling thread decodes frames and appends tracked packets to a batch
//! (payloads copied into the batch's arena, so nothing is allocated per
//! packet). A full batch is shared with every worker; worker `i` owns shard
//! `i` of the flow table (flows are assigned by a direction-independent
//! hash of the 5-tuple) and processes only its packets, in capture order.
//! Decoding the next batch overlaps with dissecting the previous one.
//! Because each flow sees exactly the packets it would see single-threaded,
//! in the same order, results do not depend on the number of workers.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::decode::{Packet, TcpMeta};
use crate::error::TrafficError;
use crate::flow::table::{FlowKey, FlowTable};
use crate::flow::{L4Protocol, PortSet};
use crate::timestamp::Timestamp;

/// Packets per batch.
const BATCH_PACKETS: usize = 16 * 1024;
/// Payload bytes per batch.
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Batches a worker may have queued before the decoder waits for it.
const QUEUE_DEPTH: usize = 2;

/// A packet copied into a batch.
#[derive(Debug)]
struct BatchedPacket {
    shard: usize,
    ts: Timestamp,
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    protocol: L4Protocol,
    ip_len: u32,
    tcp: Option<TcpMeta>,
    payload: Range<usize>,
}

#[derive(Debug, Default)]
struct Batch {
    packets: Vec<BatchedPacket>,
    arena: Vec<u8>,
}

impl Batch {
    fn with_capacity() -> Self {
        Self {
            packets: Vec::with_capacity(BATCH_PACKETS),
            arena: Vec::with_capacity(BATCH_BYTES),
        }
    }
}

#[derive(Debug)]
struct Worker {
    queue: SyncSender<Arc<Batch>>,
    handle: JoinHandle<FlowTable>,
}

/// Worker threads, each owning one shard of the flow table.
#[derive(Debug)]
pub(crate) struct Shards {
    workers: Vec<Worker>,
    current: Batch,
    /// Batches handed to the workers, reused once they are done with them.
    in_flight: Vec<Arc<Batch>>,
}

impl Shards {
    /// Starts `count` workers (the caller's thread is the one more).
    pub(crate) fn start(count: usize, ports: PortSet) -> Result<Self, TrafficError> {
        let mut workers = Vec::with_capacity(count);
        for shard in 0..count {
            let (queue, batches) = sync_channel::<Arc<Batch>>(QUEUE_DEPTH);
            let handle = std::thread::Builder::new()
                .name(format!("smbguard-traffic-{shard}"))
                .spawn(move || {
                    let mut table = FlowTable::new(ports);
                    for batch in batches {
                        for b in batch.packets.iter().filter(|b| b.shard == shard) {
                            table.process(&Packet {
                                ts: b.ts,
                                src: b.src,
                                dst: b.dst,
                                src_port: b.src_port,
                                dst_port: b.dst_port,
                                protocol: b.protocol,
                                ip_len: b.ip_len,
                                tcp: b.tcp,
                                payload: &batch.arena[b.payload.clone()],
                            });
                        }
                    }
                    table
                })
                .map_err(|e| TrafficError::ThreadPool {
                    threads: count + 1,
                    reason: e.to_string(),
                })?;
            workers.push(Worker { queue, handle });
        }
        Ok(Self {
            workers,
            current: Batch::with_capacity(),
            in_flight: Vec::new(),
        })
    }

    /// Queues one packet for the worker owning its flow.
    pub(crate) fn push(&mut self, p: &Packet<'_>) {
        let shard = (FlowKey::of(p).shard_hash() % self.workers.len() as u64) as usize;
        let batch = &mut self.current;
        let start = batch.arena.len();
        batch.arena.extend_from_slice(p.payload);
        batch.packets.push(BatchedPacket {
            shard,
            ts: p.ts,
            src: p.src,
            dst: p.dst,
            src_port: p.src_port,
            dst_port: p.dst_port,
            protocol: p.protocol,
            ip_len: p.ip_len,
            tcp: p.tcp,
            payload: start..batch.arena.len(),
        });
        if batch.packets.len() >= BATCH_PACKETS || batch.arena.len() >= BATCH_BYTES {
            self.send();
        }
    }

    /// Hands the current batch to every worker and starts a new one.
    fn send(&mut self) {
        if self.current.packets.is_empty() {
            return;
        }
        let next = self.recycle().unwrap_or_else(Batch::with_capacity);
        let batch = Arc::new(std::mem::replace(&mut self.current, next));
        for w in &self.workers {
            // A worker only stops receiving if it panicked; `finish`
            // reports that.
            let _ = w.queue.send(Arc::clone(&batch));
        }
        self.in_flight.push(batch);
    }

    /// A batch every worker has finished with, emptied.
    fn recycle(&mut self) -> Option<Batch> {
        let done = self
            .in_flight
            .iter()
            .position(|b| Arc::strong_count(b) == 1)?;
        let mut batch = Arc::try_unwrap(self.in_flight.swap_remove(done)).ok()?;
        batch.packets.clear();
        batch.arena.clear();
        Some(batch)
    }

    /// Flushes, stops the workers and returns their flow tables.
    pub(crate) fn finish(mut self) -> Vec<FlowTable> {
        self.send();
        self.workers
            .into_iter()
            .map(|w| {
                drop(w.queue);
                match w.handle.join() {
                    Ok(table) => table,
                    // A worker panicking is a bug; surface it unchanged.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
            .collect()
    }
}
