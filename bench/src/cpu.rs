//! CPU time (user + system, all threads) of a process, read from `/proc/PID/stat`.
//!
//! A load generator that uses most of the machine measures itself, not the server: the
//! report shows its CPU as a share of wall time × cores so that case is visible.

use std::time::Instant;

/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`): 100 on every Linux ABI.
const USER_HZ: f64 = 100.0;

/// User + system CPU seconds used so far by `pid` (`None`: this process), all threads.
/// `None` when `/proc` cannot be read (not Linux, or the process has exited).
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    parse_stat(&stat)
}

/// utime + stime from the text of `/proc/PID/stat`, in seconds.
pub fn parse_stat(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields
    // are counted from the last ')'. utime and stime are fields 14 and 15, so the 12th
    // and 13th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// (busy, total) jiffies of the whole machine, from the first line of `/proc/stat`.
pub fn machine_jiffies() -> Option<(u64, u64)> {
    parse_proc_stat(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// (busy, total) from the text of `/proc/stat`: busy is everything but idle and iowait.
pub fn parse_proc_stat(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// Logical cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU used by a set of processes between [`CpuWatch::start`] and [`CpuWatch::stop`].
#[derive(Debug, Clone)]
pub struct CpuWatch {
    pids: Vec<Option<u32>>,
    start: Vec<Option<f64>>,
    machine: Option<(u64, u64)>,
    at: Instant,
}

/// What one process used over the watched span.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuUse {
    /// `None`: the load tool itself.
    pub pid: Option<u32>,
    /// CPU seconds per wall second: 1.0 is one core fully busy.
    pub cores_used: f64,
    /// `cores_used` as a percentage of every core on the machine.
    pub percent_of_machine: f64,
}

impl CpuWatch {
    /// Starts watching this process and `others`.
    pub fn start(others: &[u32]) -> Self {
        let pids: Vec<Option<u32>> = std::iter::once(None)
            .chain(others.iter().copied().map(Some))
            .collect();
        let start = pids.iter().map(|p| cpu_seconds(*p)).collect();
        Self {
            pids,
            start,
            machine: machine_jiffies(),
            at: Instant::now(),
        }
    }

    /// Percentage of the whole machine busy since [`CpuWatch::start`], whoever used it:
    /// well above the tool plus the watched processes means something else competed.
    pub fn machine_busy_percent(&self) -> Option<f64> {
        let (busy0, total0) = self.machine?;
        let (busy1, total1) = machine_jiffies()?;
        let total = total1.checked_sub(total0).filter(|t| *t > 0)?;
        Some(100.0 * busy1.saturating_sub(busy0) as f64 / total as f64)
    }

    /// Use since [`CpuWatch::start`]; processes that could not be read are left out.
    pub fn stop(&self) -> Vec<CpuUse> {
        let wall = self.at.elapsed().as_secs_f64().max(1e-9);
        let cores = cores() as f64;
        self.pids
            .iter()
            .zip(&self.start)
            .filter_map(|(pid, start)| {
                let used = cpu_seconds(*pid)? - (*start)?;
                let cores_used = used / wall;
                Some(CpuUse {
                    pid: *pid,
                    cores_used,
                    percent_of_machine: 100.0 * cores_used / cores,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_past_an_awkward_name() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_stat(stat), Some(3.0));
    }

    #[test]
    fn parses_machine_busy_time() {
        let text = "cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(parse_proc_stat(text), Some((160, 1000)));
    }

    #[test]
    fn reads_its_own_cpu_time() {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(cpu_seconds(None).is_some_and(|s| s >= 0.0));
    }
}
