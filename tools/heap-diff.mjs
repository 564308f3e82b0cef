#!/usr/bin/env node
// What a held stream keeps, from the heap snapshots bench/dist/heap-lab.js writes (see bench/notes/stream-memory.md).
//
//   node --max-old-space-size=6000 tools/heap-diff.mjs by-constructor A-0 A-N [B-0 B-N] N
//       self size and count per stream by type:constructor (the 0-stream snapshot subtracted), A, B and B - A
//   node --max-old-space-size=6000 tools/heap-diff.mjs retainers SNAPSHOT 'type:name' [depth]
//       who holds the objects of one group: their first retainer chains, by total self size
//   node --max-old-space-size=6000 tools/heap-diff.mjs closures A-0 A-N N
//       closures per stream by source position (script id:line:column), with named neighbours to tell the script
//
// Snapshot arguments are file paths (the .heapsnapshot suffix may be left out).
import { existsSync, readFileSync } from 'node:fs';

function load(path) {
  const file = existsSync(path) ? path : `${path}.heapsnapshot`;
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snapshot.snapshot.meta;
  const field = (name) => meta.node_fields.indexOf(name);
  return {
    ...snapshot,
    meta,
    nodeFields: meta.node_fields.length,
    edgeFields: meta.edge_fields.length,
    type: field('type'),
    name: field('name'),
    size: field('self_size'),
    edgeCount: field('edge_count'),
  };
}

/** `type:name` of node index `n` (an offset in `nodes`); strings and code are grouped by type alone. */
function groupOf(heap, n) {
  const type = heap.meta.node_types[0][heap.nodes[n + heap.type]];
  const name = heap.strings[heap.nodes[n + heap.name]];
  const plain = ['string', 'concatenated string', 'sliced string', 'code'].includes(type);
  return `${type}:${plain ? '' : name.slice(0, 60)}`;
}

function groups(heap) {
  const result = new Map();
  for (let n = 0; n < heap.nodes.length; n += heap.nodeFields) {
    const key = groupOf(heap, n);
    const group = result.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += heap.nodes[n + heap.size];
    result.set(key, group);
  }
  return result;
}

function perStream(zero, full, streams) {
  const [before, after] = [groups(load(zero)), groups(load(full))];
  const result = new Map();
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [a, b] = [before.get(key) ?? { count: 0, size: 0 }, after.get(key) ?? { count: 0, size: 0 }];
    result.set(key, { count: (b.count - a.count) / streams, size: (b.size - a.size) / streams });
  }
  return result;
}

function byConstructor(args) {
  const streams = Number(args.at(-1));
  const a = perStream(args[0], args[1], streams);
  const b = args.length >= 5 ? perStream(args[2], args[3], streams) : new Map();
  const total = (map) => [...map.values()].reduce((sum, group) => sum + group.size, 0);
  console.log(
    `self size per stream: A ${total(a).toFixed(0)}  B ${total(b).toFixed(0)}  B-A ${(total(b) - total(a)).toFixed(0)}`,
  );
  const none = { count: 0, size: 0 };
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((key) => {
    const [x, y] = [a.get(key) ?? none, b.get(key) ?? none];
    return { key, x, y, difference: b.size ? y.size - x.size : x.size };
  });
  rows.sort((first, second) => Math.abs(second.difference) - Math.abs(first.difference));
  for (const { key, x, y, difference } of rows.slice(0, 50)) {
    const cell = (group) => `${group.count.toFixed(2).padStart(6)} ${group.size.toFixed(0).padStart(6)}`;
    console.log(`${difference.toFixed(0).padStart(7)} | A ${cell(x)} | B ${cell(y)} | ${key}`);
  }
}

function retainers([path, group, depthText = '2']) {
  const heap = load(path);
  const edgeTypes = heap.meta.edge_types[0];
  const [type, name, to] = ['type', 'name_or_index', 'to_node'].map((field) => heap.meta.edge_fields.indexOf(field));
  const parents = new Map();
  for (let n = 0, e = 0; n < heap.nodes.length; n += heap.nodeFields) {
    for (let k = 0; k < heap.nodes[n + heap.edgeCount]; k += 1, e += heap.edgeFields) {
      const kind = edgeTypes[heap.edges[e + type]];
      if (kind === 'weak') continue;
      const label = kind === 'element' || kind === 'hidden' ? `[${kind}]` : String(heap.strings[heap.edges[e + name]]);
      const child = heap.edges[e + to];
      if (!parents.has(child)) parents.set(child, [n, label]);
    }
  }
  const chains = new Map();
  for (let n = 0; n < heap.nodes.length; n += heap.nodeFields) {
    if (groupOf(heap, n) !== group) continue;
    const chain = [];
    for (let current = n, step = 0; step < Number(depthText); step += 1) {
      const parent = parents.get(current);
      if (!parent) break;
      chain.push(`${groupOf(heap, parent[0])}.${parent[1]}`);
      current = parent[0];
    }
    const key = chain.join(' <- ');
    const total = chains.get(key) ?? { count: 0, size: 0 };
    total.count += 1;
    total.size += heap.nodes[n + heap.size];
    chains.set(key, total);
  }
  for (const [key, total] of [...chains].sort((a, b) => b[1].size - a[1].size).slice(0, 25)) {
    console.log(`${String(total.size).padStart(10)} ${String(total.count).padStart(7)}  ${key}`);
  }
}

function closurePositions(path) {
  const heap = load(path);
  const fields = heap.meta.location_fields.length;
  const counts = new Map();
  const names = new Map();
  for (let i = 0; i < heap.locations.length; i += fields) {
    const n = heap.locations[i];
    if (heap.meta.node_types[0][heap.nodes[n + heap.type]] !== 'closure') continue;
    const name = heap.strings[heap.nodes[n + heap.name]];
    const script = heap.locations[i + 1];
    if (name) names.set(script, new Set([...(names.get(script) ?? []), name].slice(0, 4)));
    const key = `${script}:${heap.locations[i + 2] + 1}:${heap.locations[i + 3] + 1} ${name || '(anonymous)'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, names };
}

function closures([zero, full, streamsText]) {
  const [before, after] = [closurePositions(zero), closurePositions(full)];
  const rows = [...after.counts].map(([key, count]) => [
    key,
    (count - (before.counts.get(key) ?? 0)) / Number(streamsText),
  ]);
  for (const [key, count] of rows.filter((row) => row[1] >= 0.5).sort((a, b) => b[1] - a[1])) {
    const neighbours = [...(after.names.get(Number(key.split(':')[0])) ?? [])].join(', ');
    console.log(`${count.toFixed(2).padStart(6)}  ${key.padEnd(40)} ${neighbours}`);
  }
}

const [command, ...args] = process.argv.slice(2);
const commands = { 'by-constructor': byConstructor, retainers, closures };
if (!commands[command]) {
  console.error('usage: heap-diff.mjs by-constructor|retainers|closures ... (see the top of this file)');
  process.exit(2);
}
commands[command](args);
