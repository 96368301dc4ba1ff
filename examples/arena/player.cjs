// A player for the walk-through: `node examples/arena/player.cjs PORT [NAME]`. Joins the arena
// engine listening on 127.0.0.1:PORT, makes a move twice a second, and prints once a second what
// the server says: tick, rules, score and what the last move was worth.
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
const name = process.argv[3] || `player-${process.pid}`;
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node player.cjs PORT [NAME]   (PORT: see `kubectl logs POD -c engine`)');
  process.exit(2);
}

let last = { tick: 0, rules: '?', score: 0, players: 0 };
let gain = 0;
const socket = net.connect({ host: '127.0.0.1', port }, () => {
  socket.write(`${JSON.stringify({ t: 'join', name })}\n`);
  setInterval(() => socket.write(`${JSON.stringify({ t: 'move' })}\n`), 500);
  setInterval(() => console.log(`tick ${last.tick}  rules ${last.rules}  score ${last.score}  last move +${gain}  players ${last.players}`), 1000);
});
let buf = '';
socket.setEncoding('utf8');
socket.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.t === 'tick') last = msg;
    else if (msg.t === 'moved') gain = msg.gain;
    else if (msg.t === 'welcome') console.log(`joined as ${name} (id ${msg.id}), rules ${msg.rules}`);
  }
});
socket.on('error', (err) => {
  console.error(`connection error: ${err.message}`);
  process.exit(1);
});
socket.on('close', () => {
  console.log('disconnected by the server');
  process.exit(1);
});
