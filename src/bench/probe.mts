import { loadScenario } from '../scenario/load.ts';
import { runSimulation } from '../run/simulation.ts';
import { NullRecordWriter } from '../run/record-writer.ts';
const t0 = performance.now();
const l = loadScenario('/work/main/scenarios/bench/vidur-parity.yaml', process.argv.slice(2));
const r = await runSimulation(l, { writer: new NullRecordWriter(), fastForward: process.env.FF !== '0' });
console.log(((performance.now()-t0)/1000).toFixed(2), 's', r.events, 'events', JSON.stringify(r.summary).slice(0, 600));
console.log('rss MB', process.memoryUsage().rss/1e6);
