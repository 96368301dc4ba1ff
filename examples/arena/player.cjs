// A player for the walk-through: `node examples/arena/player.cjs HOST:PORT [NAME]`. Joins the
// arena engine at HOST:PORT (a GameServer's networkStatus address, or a pod IP and 7777), makes a
// move twice a second, and prints once a second what the server says: tick, rules, score and
// what the last move was worth.
'use strict';
const net = require('net');

const [, host, portText] = /^(?:(.+):)?(\d+)$/.exec(process.argv[2] || '') || [];
const port = Number(portText);
const name = process.argv[3] || `player-${process.pid}`;
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node player.cjs HOST:PORT [NAME]   (a GameServer's address: kubectl get gs NAME -o jsonpath='{..externalAddresses}')");
  process.exit(2);
}

let last = { tick: 0, rules: '?', score: 0, players: 0 };
let gain = 0;
const socket = net.connect({ host: host || '127.0.0.1', port }, () => {
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
