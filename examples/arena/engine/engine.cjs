// The arena engine: a tiny dedicated game server. Players join over TCP with newline-delimited
// JSON, send moves, and get a tick message 20 times a second. What a move is worth comes from
// the rules script that the scripts sidecar publishes into the shared volume (scripts/rules.cjs);
// the engine reloads it whenever the file changes, without dropping anyone. It also reads its
// pod's annotations (a downwardAPI volume): `hotpod.dev/update-pending` says hotpod holds an
// update until the match ends, and every tick tells the players so.
'use strict';
const fs = require('fs');
const net = require('net');
const vm = require('vm');

const RULES_FILE = process.env.RULES_FILE || 'scripts/rules.cjs';
const TICK_HZ = Number(process.env.TICK_HZ || 20);
const PORT = Number(process.env.PORT || 0);
// The pod's own address (each pod has one on the embedded nodes, as on a cluster).
const HOST = process.env.POD_IP || '127.0.0.1';
const PODINFO_FILE = process.env.PODINFO_FILE || 'podinfo/annotations';

const log = (msg) => console.log(msg);
const players = new Map();
let rules;
let rulesStamp = '';
let tick = 0;
let nextId = 1;
let updatePending = null;

// kubelet writes `key="value"` lines; only the one annotation matters here.
function readUpdatePending() {
  let text;
  try {
    text = fs.readFileSync(PODINFO_FILE, 'utf8');
  } catch {
    return;
  }
  const m = /^hotpod\.dev\/update-pending=(".*")$/m.exec(text);
  const next = m ? JSON.parse(m[1]) : null;
  if (next !== updatePending) log(next ? `update ${next} pending: finish the match, then the server updates` : 'no update pending');
  updatePending = next;
}

// Runs the script in a fresh context so a reload cannot see the previous version's leftovers.
function loadRules() {
  let st;
  try {
    st = fs.statSync(RULES_FILE);
  } catch {
    return false;
  }
  const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
  if (stamp === rulesStamp) return true;
  rulesStamp = stamp;
  try {
    const module = { exports: {} };
    vm.runInNewContext(fs.readFileSync(RULES_FILE, 'utf8'), { module, exports: module.exports }, { filename: RULES_FILE });
    const next = module.exports;
    if (typeof next.version !== 'string' || typeof next.pointsForMove !== 'function') throw new Error('rules must export version and pointsForMove');
    const was = rules && rules.version;
    rules = next;
    log(was ? `rules ${was} -> ${rules.version} reloaded, ${players.size} players kept` : `rules ${rules.version} loaded`);
  } catch (err) {
    // A broken script must not take the game down: keep playing by the rules already loaded.
    log(`rules in ${RULES_FILE} not loaded, keeping ${rules ? rules.version : 'none'}: ${err.message}`);
  }
  return rules !== undefined;
}

function send(player, msg) {
  player.socket.write(`${JSON.stringify(msg)}\n`);
}

function handle(player, line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return send(player, { t: 'error', error: 'not JSON' });
  }
  if (msg.t === 'join') {
    player.name = String(msg.name || `player-${player.id}`);
    players.set(player.id, player);
    return send(player, { t: 'welcome', id: player.id, rules: rules.version, tickHz: TICK_HZ });
  }
  if (!players.has(player.id)) return send(player, { t: 'error', error: 'join first' });
  if (msg.t === 'move') {
    player.moves++;
    const gain = rules.pointsForMove({ moves: player.moves, score: player.score, tick });
    player.score += gain;
    return send(player, { t: 'moved', gain, score: player.score, rules: rules.version });
  }
  send(player, { t: 'error', error: `unknown message ${msg.t}` });
}

function serve() {
  const server = net.createServer((socket) => {
    const player = { id: nextId++, socket, name: '', score: 0, moves: 0 };
    let buf = '';
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line) handle(player, line);
      }
    });
    socket.on('close', () => players.delete(player.id));
    socket.on('error', () => {});
  });
  server.listen(PORT, HOST, () => {
    const { port } = server.address();
    log(`arena engine listening on ${HOST}:${port}`);
  });
  setInterval(() => {
    tick++;
    const at = Date.now();
    for (const p of players.values()) send(p, { t: 'tick', tick, at, rules: rules.version, score: p.score, players: players.size, updatePending });
  }, 1000 / TICK_HZ);
  setInterval(loadRules, 250);
  setInterval(readUpdatePending, 250);
  process.on('SIGTERM', () => {
    log(`stopping, closing ${players.size} sessions`);
    server.close();
    for (const p of players.values()) p.socket.end();
    setTimeout(() => process.exit(0), 100);
  });
}

// Serve only once the sidecar has published the rules, so readiness means "playable".
const waitForRules = setInterval(() => {
  if (!loadRules()) return;
  clearInterval(waitForRules);
  serve();
}, 100);
log(`arena engine waiting for ${RULES_FILE}`);
