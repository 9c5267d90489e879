import { readFileSync } from "node:fs";
const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
p.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
let total = 0; for (const v of self.values()) total += v;
const gc = [...self].filter(([id]) => nodes.get(id).callFrame.functionName === "(garbage collector)").reduce((a, [, v]) => a + v, 0);
const idle = [...self].filter(([id]) => nodes.get(id).callFrame.functionName === "(idle)").reduce((a, [, v]) => a + v, 0);
const incl = new Map();
for (const [id, t] of self) {
  const seen = new Set();
  let cur = id;
  while (cur !== undefined) {
    const f = nodes.get(cur).callFrame;
    const key = `${f.functionName || "(anon)"} ${f.url.replace(/.*\/(src|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
    if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) ?? 0) + t); }
    cur = parent.get(cur);
  }
}
const busy = total - idle;
console.log(`total ${(total/1e6).toFixed(1)} s, idle ${(idle/1e6).toFixed(1)}, gc ${(gc/busy*100).toFixed(1)}% of busy`);
const filt = process.argv[3] ? new RegExp(process.argv[3]) : /src\//;
[...incl].filter(([k]) => filt.test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 50)).forEach(([k, v]) => console.log(`${(v / busy * 100).toFixed(1).padStart(5)}%  ${k}`));
