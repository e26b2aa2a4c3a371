// Preloaded into each compiler or bundler process of the build benchmarks: writes the process's own
// CPU time (user + system, µs) to BENCH_CPU_FILE as it exits, and `children`, the CPU time (µs) of
// the processes it started (Linux /proc; 0 elsewhere): those it waited for (TypeScript 7's native
// tsc, run by its Node script; its children's children count when they were waited for in turn)
// and those still running (esbuild's service, which exits after this process). /proc counts in
// clock ticks (CLK_TCK, 100 on Linux): 10 ms a process.
const { readFileSync, readdirSync, writeFileSync } = require('node:fs');

const TICK_MICROS = 10_000;

/** Fields of /proc/<pid>/stat from the state on (the name before it may hold spaces): utime is [11], stime [12], cutime [13], cstime [14]. */
const stat = (pid) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
};
const childrenOf = (pid) => readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean));
/** Ticks of the processes below `pid` still running (one that ends meanwhile counts as nothing). */
const liveTree = (pid) =>
  childrenOf(pid).reduce((sum, child) => {
    try {
      const fields = stat(child);
      return sum + fields[11] + fields[12] + fields[13] + fields[14] + liveTree(child);
    } catch {
      return sum;
    }
  }, 0);

function childrenMicros() {
  try {
    const self = stat('self');
    return (self[13] + self[14] + liveTree(process.pid)) * TICK_MICROS;
  } catch {
    return 0;
  }
}

process.on('exit', () => writeFileSync(process.env.BENCH_CPU_FILE, JSON.stringify({ ...process.cpuUsage(), children: childrenMicros() })));
