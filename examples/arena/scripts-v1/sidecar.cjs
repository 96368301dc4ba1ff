// The scripts sidecar: publishes this image's game scripts into the volume shared with the
// engine (mounted at /shared), then stays running. It publishes again on SIGHUP, which hotpod
// sends after a hot-patch has swapped this container's files (hotpod.dev/reload-signal.scripts).
// The engine reloads when the file changes; the rename makes it see the whole new file or none.
'use strict';
const fs = require('fs');

function publish(why) {
  fs.copyFileSync('rules.cjs', 'shared/.rules.cjs.tmp');
  fs.renameSync('shared/.rules.cjs.tmp', 'shared/rules.cjs');
  const version = /version: '([^']*)'/.exec(fs.readFileSync('rules.cjs', 'utf8'));
  console.log(`${why} rules ${version ? version[1] : '?'}`);
}

publish('published');
process.on('SIGHUP', () => publish('republished'));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 60_000);
