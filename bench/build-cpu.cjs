// Preloaded into each compiler process of the build benchmark: writes the process's own CPU time
// (user + system, µs) to BENCH_CPU_FILE as it exits.
const { writeFileSync } = require('node:fs');

process.on('exit', () => writeFileSync(process.env.BENCH_CPU_FILE, JSON.stringify(process.cpuUsage())));
