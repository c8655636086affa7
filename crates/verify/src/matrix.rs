//! Group × group reachability, per transport and profile, for reports.

use smbguard_model::{AddrSet, Profile};
use smbguard_semantics::Flow;

use crate::engine::{Ctx, Engine};
use crate::report::{Matrix, MatrixGroup, MatrixTable, Reach};

/// Builds the matrix; with more than `limit` groups the tables are left out.
pub(crate) fn build(engine: &mut Engine<'_, '_>, limit: usize) -> Matrix {
    let space = engine.space;
    let plan = space.plan;
    let mut groups: Vec<MatrixGroup> = plan
        .hosts
        .iter()
        .map(|h| MatrixGroup {
            name: h.group.clone(),
            role: Some(h.role),
        })
        .collect();
    let mut sets: Vec<AddrSet> = space.eff.clone();
    let unmanaged = &space.units[0].addrs;
    let inside = unmanaged.intersection(&plan.internal);
    let outside = unmanaged.difference(&plan.internal);
    if !inside.is_empty() {
        groups.push(MatrixGroup {
            name: "unmanaged internal".into(),
            role: None,
        });
        sets.push(inside);
    }
    if !outside.is_empty() {
        groups.push(MatrixGroup {
            name: "internet".into(),
            role: None,
        });
        sets.push(outside);
    }
    if plan.hosts.len() > limit {
        return Matrix {
            groups,
            tables: Vec::new(),
            omitted: Some(format!(
                "{} groups: more than {limit}, too many to draw; the invariants above cover every pair",
                plan.hosts.len()
            )),
        };
    }
    let mut tables = Vec::new();
    for &t in &plan.transports {
        for p in Profile::ALL {
            let ctx = Ctx {
                t,
                ps: p,
                pd: p,
                port: Flow::EPHEMERAL_PORT,
                edge: false,
            };
            let cells = sets
                .iter()
                .map(|a| {
                    sets.iter()
                        .map(|b| {
                            let r4 = engine.reach::<u32>(a, b, &ctx);
                            let r6 = engine.reach::<u128>(a, b, &ctx);
                            let parts: Vec<(bool, bool)> = [r4, r6].into_iter().flatten().collect();
                            if parts.is_empty() {
                                Reach::NotApplicable
                            } else if parts.iter().all(|&(_, all)| all) {
                                Reach::All
                            } else if parts.iter().any(|&(some, _)| some) {
                                Reach::Some
                            } else {
                                Reach::None
                            }
                        })
                        .collect()
                })
                .collect();
            tables.push(MatrixTable {
                transport: t,
                profile: p,
                cells,
            });
        }
    }
    Matrix {
        groups,
        tables,
        omitted: None,
    }
}
