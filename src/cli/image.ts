// `hotpod image build|ls|rm`: the image store the process runtime runs containers from.

import type { Command } from 'commander';
import { ImageStore, shortImageId } from '../node/images/index.js';
import { runningContainers } from '../node/runtime/process/leftovers.js';
import { formatTable, humanDuration, humanSize } from './human.js';
import { parseImageReference } from '../util/image-reference.js';

const DATA_DIR_HELP = 'hotpod data dir holding the image store (as for hotpod up)';

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('build and manage the images that nodes run as real processes');

  image
    .command('build <dir>')
    .description('store the files of DIR as an image (DIR/hotpod-image.json: entrypoint, cmd, env, workingDir)')
    .requiredOption('-t, --tag <name:tag>', 'name the image (repeatable)', collect, [])
    .option('--data-dir <dir>', DATA_DIR_HELP, '.hotpod')
    .action((dir: string, opts: { tag: string[]; dataDir: string }) => {
      const img = new ImageStore(opts.dataDir).build(dir, opts.tag);
      process.stdout.write(`Successfully built ${shortImageId(img.id)}\n`);
      for (const t of opts.tag) process.stdout.write(`Successfully tagged ${t}\n`);
    });

  image
    .command('ls')
    .alias('list')
    .description('list stored images')
    .option('-q, --quiet', 'only image ids', false)
    .option('--data-dir <dir>', DATA_DIR_HELP, '.hotpod')
    .action((opts: { quiet: boolean; dataDir: string }) => {
      const images = new ImageStore(opts.dataDir).list();
      if (opts.quiet) return void process.stdout.write(images.map((i) => `${shortImageId(i.id)}\n`).join(''));
      const rows: string[][] = [];
      for (const img of images) {
        const age = `${humanDuration(Date.now() - Date.parse(img.created))} ago`;
        const refs = img.tags.length ? img.tags.map(parseImageReference) : [undefined];
        for (const r of refs) rows.push([r?.name ?? '<none>', r?.tag ?? '<none>', shortImageId(img.id), age, humanSize(img.size)]);
      }
      process.stdout.write(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
    });

  image
    .command('rm <image...>')
    .alias('remove')
    .description('untag images (name:tag) and delete those left untagged, or delete by image id')
    .option('-f, --force', 'remove a tag even when a running container uses its image', false)
    .option('--data-dir <dir>', DATA_DIR_HELP, '.hotpod')
    .action((refs: string[], opts: { force: boolean; dataDir: string }) => {
      const store = new ImageStore(opts.dataDir);
      // The process containers of a hotpod up on this data dir, by the image they run.
      const users = new Map<string, string>();
      for (const c of runningContainers(opts.dataDir)) if (c.image && !users.has(c.image)) users.set(c.image, c.id);
      let failed = false;
      for (const ref of refs) {
        try {
          const r = store.remove(ref, { force: opts.force, usedBy: (id) => users.get(id) });
          for (const t of r.untagged) process.stdout.write(`Untagged: ${t}\n`);
          if (r.deleted) process.stdout.write(`Deleted: ${r.deleted}\n`);
        } catch (err) {
          process.stderr.write(`Error: ${(err as Error).message}\n`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
